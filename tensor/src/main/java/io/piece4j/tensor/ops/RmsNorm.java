package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Shape;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/** RMSNorm over the last axis with a learned per-feature weight. */
public final class RmsNorm {
    private RmsNorm() {}

    /**
     * x (..., C), weight (C) -> y (..., C) = x / sqrt(mean(x^2) + eps) * weight.
     * The forward keeps rstd (rows) for the backward, which also needs x and the weight.
     */
    public static Tensor rmsnorm(Tensor x, Tensor weight, float eps) {
        int cols = x.dim(-1);
        if (weight.numel() != cols) {
            throw new IllegalArgumentException("rmsnorm weight " + Shape.str(weight.shape()) + " for input " + Shape.str(x.shape()));
        }
        int rows = (int) (x.numel() / cols);
        Backend be = x.backend();
        Tensor y = Tensor.activation(be, x.shape());
        Tensor rstd = Tensor.activation(be, rows); // (rows)
        be.rmsnorm(x, weight, y, rstd, rows, cols, eps);
        return Autograd.record(y, dy -> be.rmsnormBackward(x, weight, rstd, dy,
                x.requiresGrad() ? x.gradForAccumulation() : null,
                weight.requiresGrad() ? weight.gradForAccumulation() : null, rows, cols), x, weight);
    }
}
