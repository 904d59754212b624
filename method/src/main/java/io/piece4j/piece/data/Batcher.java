package io.piece4j.piece.data;

import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Rng;

import java.util.ArrayList;
import java.util.List;

/**
 * Groups examples into {@link TokenBatch}es of batchSize (the last one may be smaller), padded on the right
 * to the longest example of the batch with PAD_ID and target -1. Right padding needs no attention mask:
 * attention is causal, so real tokens never see the padding after them, and padded positions are not scored.
 */
public final class Batcher {
    public static final int PAD_ID = 0;

    private Batcher() {}

    /** Dataset order (the importance pass uses it). */
    public static List<TokenBatch> inOrder(List<Example> examples, int batchSize) {
        int[] order = new int[examples.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        return batches(examples, order, batchSize);
    }

    /**
     * A shuffled order that depends only on (seed, epoch): epoch e shuffles with new Rng(seed * 1_000_003 + e),
     * so a resumed run sees the same batches.
     */
    public static List<TokenBatch> shuffled(List<Example> examples, int batchSize, long seed, int epoch) {
        int[] order = order(examples.size(), seed, epoch);
        return batches(examples, order, batchSize);
    }

    public static int[] order(int n, long seed, int epoch) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        new Rng(seed * 1_000_003L + epoch).shuffle(order);
        return order;
    }

    static List<TokenBatch> batches(List<Example> examples, int[] order, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        List<TokenBatch> out = new ArrayList<>();
        for (int s = 0; s < order.length; s += batchSize) {
            int b = Math.min(batchSize, order.length - s);
            int seq = 0;
            for (int i = 0; i < b; i++) seq = Math.max(seq, examples.get(order[s + i]).length());
            int[] tokens = new int[b * seq], targets = new int[b * seq];
            java.util.Arrays.fill(tokens, PAD_ID);
            java.util.Arrays.fill(targets, -1);
            for (int i = 0; i < b; i++) {
                Example e = examples.get(order[s + i]);
                System.arraycopy(e.tokens(), 0, tokens, i * seq, e.length());
                System.arraycopy(e.targets(), 0, targets, i * seq, e.length());
            }
            out.add(new TokenBatch(tokens, targets, b, seq));
        }
        return out;
    }
}
