package io.piece4j.piece;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/**
 * G and H of PIECE in the flat parameter layout, fp32, on the model's backend:
 * after each batch m, G += g_m and H += g_m * g_m, where g_m is the gradient of that batch's mean loss.
 */
public final class ImportanceAccumulator {
    private final Tensor sum;   // (P) G
    private final Tensor sumSq; // (P) H
    private int batches;

    public ImportanceAccumulator(Backend backend, long parameterCount) {
        this.sum = Tensor.zeros(backend, Math.toIntExact(parameterCount));
        this.sumSq = Tensor.zeros(backend, Math.toIntExact(parameterCount));
    }

    /**
     * G and H summed elsewhere (the data-parallel pass of the distributed module), over batches batches: the
     * same selection code then runs on them.
     */
    public static ImportanceAccumulator of(Backend backend, float[] g, float[] h, int batches) {
        if (g.length != h.length) throw new IllegalArgumentException("G has " + g.length + " entries but H has " + h.length);
        ImportanceAccumulator acc = new ImportanceAccumulator(backend, g.length);
        acc.sum.copyFrom(g);
        acc.sumSq.copyFrom(h);
        acc.batches = batches;
        return acc;
    }

    /** Adds one batch's flat gradient. */
    public void add(Tensor batchGradient) {
        sum.checkSameSize(batchGradient);
        sum.backend().accumulateMoments(batchGradient, sum, sumSq);
        batches++;
    }

    public Tensor g() { return sum; }
    public Tensor h() { return sumSq; }
    public int batches() { return batches; }
}
