package io.piece4j.piece.train;

import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.data.Batcher;
import io.piece4j.tensor.Rng;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;

/**
 * A pretraining corpus as language-model batches: the text is split into documents, each encoded and
 * followed by EOS, all concatenated into one token stream; an epoch cuts the stream into chunks of seq
 * tokens from a random offset (so chunk boundaries move between epochs), shuffles them, and groups them
 * into micro-batches of equal shape. Every position of a chunk is scored:
 *
 * <pre>
 *   stream   ... d0 d1 d2 d3 EOS e0 e1 ...        chunk of seq = 4 starting at d1:
 *   tokens   BOS d1  d2  d3                        (seq)
 *   targets  d1  d2  d3  EOS                       (seq) each stream token is predicted once per epoch
 * </pre>
 *
 * Epoch e depends only on (seed, e), as {@link EpochData} requires; the run is cut to exactly
 * {@code steps * accumulation} micro-batches, so the schedule knows its length in advance.
 */
public final class TextChunks implements EpochData {
    /** How the text is split into documents (each followed by EOS). */
    public enum Documents {
        /** Documents are separated by a blank line. */
        PARAGRAPH,
        /** Every non-empty line is a document. */
        LINE,
        /** The whole text is one document. */
        NONE
    }

    private final int[] stream;     // (L) the corpus's tokens, EOS after each document
    private final int bos, seq, batch;
    private final long seed;
    private final List<Integer> perEpoch = new ArrayList<>(); // micro-batches of each epoch, cut to the run's length

    /**
     * @param microBatches micro-batches of the whole run (optimizer steps * accumulation); epochs are
     *                     added until they hold that many, and the last one is cut short
     */
    public TextChunks(String text, Documents documents, Tokenizer tokenizer, int seq, int batch, long seed, long microBatches) {
        if (seq < 2) throw new IllegalArgumentException("seq must be >= 2, got " + seq);
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (microBatches < 1) throw new IllegalArgumentException("the run needs at least one micro-batch, got " + microBatches);
        this.stream = encode(text, documents, tokenizer);
        this.bos = tokenizer.bosId();
        this.seq = seq;
        this.batch = batch;
        this.seed = seed;
        if (chunks(0) < batch) {
            throw new IllegalArgumentException("the corpus has " + stream.length + " tokens: too few for one batch of " + batch + " x " + seq);
        }
        long left = microBatches;
        while (left > 0) {
            int n = (int) Math.min(left, chunks(perEpoch.size()) / batch);
            if (n == 0) throw new IllegalArgumentException("the corpus has " + stream.length + " tokens: too few for one batch of " + batch + " x " + seq);
            perEpoch.add(n);
            left -= n;
        }
    }

    /** The whole token stream (documents each followed by EOS). */
    public int tokenCount() { return stream.length; }

    /** Epochs (passes over the corpus, the last one partial) that the run's micro-batches span. */
    public int epochs() { return perEpoch.size(); }

    /** Where epoch e's chunk grid starts in the stream: in [0, seq). */
    int offset(int epoch) {
        return epoch == 0 ? 0 : new Rng(seed * Batcher.EPOCH_SEED_STRIDE + epoch + 0x5EED).nextInt(seq);
    }

    private int chunks(int epoch) { return (stream.length - offset(epoch)) / seq; }

    @Override
    public List<TokenBatch> batches(int epoch) {
        if (epoch < 0 || epoch >= perEpoch.size()) return List.of();
        int offset = offset(epoch);
        int[] order = Batcher.order(chunks(epoch), seed, epoch);
        int count = perEpoch.get(epoch);
        // built on demand: a whole epoch as int arrays would be 8 bytes per corpus token
        return new AbstractList<>() {
            @Override public int size() { return count; }

            @Override public TokenBatch get(int b) {
                int[] tokens = new int[batch * seq];  // (batch, seq)
                int[] targets = new int[batch * seq]; // (batch, seq)
                for (int r = 0; r < batch; r++) {
                    int start = offset + order[b * batch + r] * seq;
                    tokens[r * seq] = bos;
                    System.arraycopy(stream, start, tokens, r * seq + 1, seq - 1);
                    System.arraycopy(stream, start, targets, r * seq, seq);
                }
                return new TokenBatch(tokens, targets, batch, seq);
            }
        };
    }

    /** Held-out text as in-order, non-overlapping chunks (no shuffling, offset 0), for mean NLL per token. */
    public static List<TokenBatch> evaluationBatches(String text, Documents documents, Tokenizer tokenizer, int seq, int batch) {
        int[] stream = encode(text, documents, tokenizer);
        int chunks = stream.length / seq;
        if (chunks == 0) throw new IllegalArgumentException("held-out text of " + stream.length + " tokens is shorter than one chunk of " + seq);
        List<TokenBatch> out = new ArrayList<>();
        for (int c0 = 0; c0 < chunks; c0 += batch) {
            int rows = Math.min(batch, chunks - c0);
            int[] tokens = new int[rows * seq], targets = new int[rows * seq];
            for (int r = 0; r < rows; r++) {
                int start = (c0 + r) * seq;
                tokens[r * seq] = tokenizer.bosId();
                System.arraycopy(stream, start, tokens, r * seq + 1, seq - 1);
                System.arraycopy(stream, start, targets, r * seq, seq);
            }
            out.add(new TokenBatch(tokens, targets, rows, seq));
        }
        return out;
    }

    static int[] encode(String text, Documents documents, Tokenizer tokenizer) {
        List<String> docs = switch (documents) {
            case PARAGRAPH -> split(text, "\n\\s*\n");
            case LINE -> split(text, "\n");
            case NONE -> text.isBlank() ? List.of() : List.of(text);
        };
        List<int[]> encoded = new ArrayList<>(docs.size());
        long total = 0;
        for (String d : docs) {
            int[] ids = tokenizer.encode(d, false, false);
            encoded.add(ids);
            total += ids.length + 1;
        }
        if (total > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("corpus of " + total + " tokens is too large (at most 2^31)");
        int[] stream = new int[(int) total];
        int at = 0;
        for (int[] ids : encoded) {
            System.arraycopy(ids, 0, stream, at, ids.length);
            at += ids.length;
            stream[at++] = tokenizer.eosId();
        }
        return stream;
    }

    private static List<String> split(String text, String regex) {
        List<String> out = new ArrayList<>();
        for (String d : text.split(regex)) {
            String s = d.strip();
            if (!s.isEmpty()) out.add(s);
        }
        return out;
    }
}
