package io.piece4j.nn.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * BPE over pieces as Llama 2 uses it (SentencePiece's BPE model): spaces become a marker ("▁", or a plain
 * space in llama2.c's tokenizer.bin), a marker is prepended to the text (the "dummy prefix"), every
 * character becomes its piece or, if the vocabulary lacks it, its UTF-8 bytes as byte tokens
 * ({@code <0xHH>}); then adjacent pieces are merged, best pair first, while the merged piece is in the
 * vocabulary. "Best" is the highest score (llama2.c, GGUF) or the lowest merge rank (tokenizer.json);
 * ties go to the leftmost pair. A priority queue over a linked list of symbols keeps it O(n log n).
 */
public final class SentencePieceBpeTokenizer implements Tokenizer {
    private final String[] pieces;
    private final Map<String, Integer> ids = new HashMap<>();
    private final float[] scores;             // per id, higher merges first; null when ranks are used
    private final Map<String, Integer> ranks; // "left right" -> rank, lower merges first; null when scores are used
    private final int[] byteIds = new int[256];
    private final boolean[] isByte, isControl;
    private final String marker;
    private final boolean dummyPrefix;
    private final int bos, eos, unk;
    private final String kind;

    /**
     * @param pieces      piece of each id
     * @param scores      merge priority per id (higher first), or null with ranks
     * @param ranks       merge rank per "left right" pair (lower first), or null with scores
     * @param marker      what stands for a space inside pieces: "▁" or " "
     * @param controlIds  ids that decode to nothing (BOS, EOS, UNK, padding)
     */
    public SentencePieceBpeTokenizer(String[] pieces, float[] scores, Map<String, Integer> ranks, String marker, boolean dummyPrefix,
                                     int bos, int eos, int unk, int[] controlIds, String kind) {
        if ((scores == null) == (ranks == null)) throw new IllegalArgumentException("give merge scores or merge ranks, not both or neither");
        this.pieces = pieces.clone();
        this.scores = scores;
        this.ranks = ranks;
        this.marker = marker;
        this.dummyPrefix = dummyPrefix;
        this.bos = bos;
        this.eos = eos;
        this.unk = unk;
        this.kind = kind;
        this.isByte = new boolean[pieces.length];
        this.isControl = new boolean[pieces.length];
        java.util.Arrays.fill(byteIds, -1);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
            int b = byteValue(pieces[i]);
            if (b >= 0) {
                isByte[i] = true;
                if (byteIds[b] < 0) byteIds[b] = i;
            }
        }
        for (int c : controlIds) if (c >= 0 && c < pieces.length) isControl[c] = true;
    }

    /** 0..255 for a piece "<0xHH>", else -1. */
    static int byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        try {
            return Integer.parseInt(piece.substring(3, 5), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        String s = text.replace(" ", marker);
        if (dummyPrefix && !text.isEmpty()) s = marker + s;
        // one symbol per character, or per byte when the character is not a piece
        int[] sym = new int[s.length() * 4 + 2];
        int n = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            String ch = new String(Character.toChars(cp));
            i += Character.charCount(cp);
            Integer id = ids.get(ch);
            if (id != null) {
                sym[n++] = id;
            } else {
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) sym[n++] = byteIds[b & 0xFF] >= 0 ? byteIds[b & 0xFF] : unk;
            }
        }
        n = merge(sym, n);
        int[] out = new int[n + (addBos ? 1 : 0) + (addEos ? 1 : 0)];
        int o = 0;
        if (addBos) out[o++] = bos;
        System.arraycopy(sym, 0, out, o, n);
        if (addEos) out[o + n] = eos;
        return out;
    }

    /** A candidate merge of the symbols at left and next[left]. */
    private record Pair(int left, int rightId, int leftId, double priority, int merged) {}

    /** Merges in place; returns the new length. */
    private int merge(int[] sym, int n) {
        if (n < 2) return n;
        int[] next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        // best first: higher priority, then leftmost
        PriorityQueue<Pair> queue = new PriorityQueue<>((a, b) -> a.priority != b.priority
                ? Double.compare(b.priority, a.priority) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) offer(queue, sym, i, i + 1);
        boolean[] dead = new boolean[n];
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            int l = p.left;
            int r = next[l];
            if (dead[l] || r < 0 || sym[l] != p.leftId || sym[r] != p.rightId) continue; // stale
            sym[l] = p.merged;
            dead[r] = true;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) offer(queue, sym, prev[l], l);
            if (next[l] >= 0) offer(queue, sym, l, next[l]);
        }
        int m = 0;
        for (int i = 0; i >= 0 && i < n; i = next[i]) sym[m++] = sym[i];
        return m;
    }

    private void offer(PriorityQueue<Pair> queue, int[] sym, int l, int r) {
        String a = pieces[sym[l]], b = pieces[sym[r]];
        Integer merged = ids.get(a + b);
        if (merged == null) return;
        double priority;
        if (scores != null) {
            priority = scores[merged];
        } else {
            Integer rank = ranks.get(a + " " + b);
            if (rank == null) return;
            priority = -rank;
        }
        queue.add(new Pair(l, sym[r], sym[l], priority, merged));
    }

    private void check(int id) {
        if (id < 0 || id >= pieces.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + pieces.length);
    }

    /** The bytes of a piece: byte tokens give their byte, control tokens nothing, markers become spaces. */
    private byte[] pieceBytes(int id) {
        check(id);
        if (isControl[id]) return new byte[0];
        if (isByte[id]) return new byte[] {(byte) byteValue(pieces[id])};
        return pieces[id].replace(marker, " ").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(int[] idsToDecode) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean first = true;
        for (int id : idsToDecode) {
            byte[] b = pieceBytes(id);
            if (b.length == 0) continue;
            // the dummy prefix: the first piece's leading space was added by encode, not by the text
            if (first && dummyPrefix && b[0] == ' ') out.write(b, 1, b.length - 1);
            else out.write(b, 0, b.length);
            first = false;
        }
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int previous, int id) {
        byte[] b = pieceBytes(id);
        if (previous == bos && b.length > 0 && b[0] == ' ') return java.util.Arrays.copyOfRange(b, 1, b.length);
        return b;
    }

    @Override public int bosId() { return bos; }
    @Override public int eosId() { return eos; }
    @Override public int vocabSize() { return pieces.length; }
    @Override public String describe() { return kind + " (SentencePiece BPE, " + pieces.length + " pieces)"; }
}
