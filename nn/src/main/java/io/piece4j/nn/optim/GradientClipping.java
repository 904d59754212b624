package io.piece4j.nn.optim;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.BinaryOp;

import java.util.List;

/** Global gradient-norm clipping, as torch.nn.utils.clip_grad_norm_. */
public final class GradientClipping {
    private GradientClipping() {}

    /** The L2 norm of all gradients together. */
    public static double globalNorm(List<Tensor> params) {
        double ss = 0;
        for (Tensor p : params) if (p.grad() != null) ss += p.backend().sumOfSquares(p.grad());
        return Math.sqrt(ss);
    }

    /**
     * Scales every gradient by maxNorm / (norm + 1e-6) when the norm exceeds maxNorm; returns the norm
     * before clipping.
     */
    public static double clip(List<Tensor> params, double maxNorm) {
        double norm = globalNorm(params);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1.0) {
            for (Tensor p : params) {
                Tensor g = p.grad();
                if (g == null) continue;
                g.backend().binary(BinaryOp.MUL, g, Tensor.full(g.backend(), (float) coef, 1), g);
            }
        }
        return norm;
    }
}
