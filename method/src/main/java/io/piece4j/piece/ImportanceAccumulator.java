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
