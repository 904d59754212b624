package io.piece4j.piece.data;

import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Groups examples into {@link TokenBatch}es of batchSize examples (the last batch keeps what is left, so
 * every example is seen once per epoch), each padded on the right to its longest example with PAD_ID and
 * target -1.
 *
 * <p>Right padding needs no attention mask: attention is causal, so a real token never attends to the
 * padding after it, and padded positions are not scored. Left padding would need a mask and would shift
 * the RoPE positions of real tokens.
 *
 * <p>Order is either the dataset's (the importance pass uses it, PIECE section 2) or a shuffle that is a
 * function of (seed, epoch) alone, so a run resumed in the middle of epoch e sees the batches it would
 * have seen.
 */
public final class Batcher {
    /** Any valid id would do, since padded positions are neither scored nor attended to; 0 always exists. */
    public static final int PAD_ID = 0;
    /**
     * Epoch e of a run with seed s is shuffled by {@code new Rng(s * EPOCH_SEED_STRIDE + e)}: distinct
     * (seed, epoch) pairs get distinct generator seeds for fewer than a million epochs.
     */
    public static final long EPOCH_SEED_STRIDE = 1_000_003L;

    private Batcher() {}

    /** Dataset order, no length limit beyond the examples' own. */
    public static List<TokenBatch> inOrder(List<Example> examples, int batchSize) {
        return inOrder(examples, batchSize, 0);
    }

    /** Dataset order; examples longer than maxSeqLen (0 = no limit) are cut as {@link Example#fitTo} says. */
    public static List<TokenBatch> inOrder(List<Example> examples, int batchSize, int maxSeqLen) {
        int[] order = new int[examples.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        return batches(examples, order, batchSize, maxSeqLen);
    }

    /** Epoch {@code epoch}'s shuffled order, no length limit beyond the examples' own. */
    public static List<TokenBatch> shuffled(List<Example> examples, int batchSize, long seed, int epoch) {
        return shuffled(examples, batchSize, 0, seed, epoch);
    }

    /** Epoch {@code epoch}'s shuffled order; examples longer than maxSeqLen (0 = no limit) are cut. */
    public static List<TokenBatch> shuffled(List<Example> examples, int batchSize, int maxSeqLen, long seed, int epoch) {
        return batches(examples, order(examples.size(), seed, epoch), batchSize, maxSeqLen);
    }

    /** A permutation of 0..n-1 that depends only on (seed, epoch). */
    public static int[] order(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        new Rng(seed * EPOCH_SEED_STRIDE + epoch).shuffle(order);
        return order;
    }

    /** Batches of examples[order[0]], examples[order[1]], ... */
    public static List<TokenBatch> batches(List<Example> examples, int[] order, int batchSize, int maxSeqLen) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        List<TokenBatch> out = new ArrayList<>((order.length + batchSize - 1) / batchSize);
        for (int start = 0; start < order.length; start += batchSize) {
            int batch = Math.min(batchSize, order.length - start);
            Example[] rows = new Example[batch];
            int seq = 0;
            for (int b = 0; b < batch; b++) {
                rows[b] = examples.get(order[start + b]).fitTo(maxSeqLen);
                seq = Math.max(seq, rows[b].length());
            }
            int[] tokens = new int[batch * seq];  // (batch, seq)
            int[] targets = new int[batch * seq]; // (batch, seq), -1 = not scored
            Arrays.fill(tokens, PAD_ID);
            Arrays.fill(targets, -1);
            for (int b = 0; b < batch; b++) {
                System.arraycopy(rows[b].tokens(), 0, tokens, b * seq, rows[b].length());
                System.arraycopy(rows[b].targets(), 0, targets, b * seq, rows[b].length());
            }
            out.add(new TokenBatch(tokens, targets, batch, seq));
        }
        return out;
    }
}
