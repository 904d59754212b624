package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Shape;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/**
 * A linear layer whose weight gradient is needed only at some coordinates (PIECE trains a fixed 0.1 %
 * of the weights): the forward is the usual x W^T; the backward computes the input gradient densely and
 * dW only at the given (row, column) pairs, a sampled matrix product costing k * tokens instead of
 * out * in * tokens.
 */
public final class SampledLinear {
    private SampledLinear() {}

    /**
     * x (..., in), w (out, in), localIdx = ascending indices row * in + col into w -> (..., out).
     * Backward: dx += dY W (dense); dW[e] += sum_t dY[t][row(e)] x[t][col(e)] for e in localIdx only.
     */
    public static Tensor linear(Tensor x, Tensor w, int[] localIdx) {
        return linear(x, w, localIdx, null);
    }

    /**
     * As {@link #linear(Tensor, Tensor, int[])}, but W's gradient goes to compactGrad (localIdx.length), the sum for
     * localIdx[j] at j, when compactGrad is not null: no (out, in) gradient exists at all.
     */
    public static Tensor linear(Tensor x, Tensor w, int[] localIdx, Tensor compactGrad) {
        int in = x.dim(-1), out = w.dim(0);
        if (w.rank() != 2 || w.dim(1) != in) {
            throw new IllegalArgumentException("linear: x " + Shape.str(x.shape()) + " does not match weight " + Shape.str(w.shape()));
        }
        int tokens = (int) (x.numel() / in);
        Backend be = x.backend();
        Tensor x2 = x.viewAs(tokens, in);
        Tensor y = Tensor.activation(be, tokens, out);                                   // (T, out)
        be.matmul(x2, false, w, true, y, 1, tokens, out, in, 0, false);
        Tensor shaped = y.viewAs(Shape.replaceLast(x.shape(), out));
        return Autograd.record(shaped, dy -> {
            Tensor dy2 = dy.viewAs(tokens, out);
            if (x.requiresGrad()) be.matmul(dy2, false, w, false, x.gradForAccumulation().viewAs(tokens, in), 1, tokens, in, out, 0, true);
            if (w.requiresGrad() && localIdx.length > 0) {
                if (compactGrad != null) be.sampledMatmulCompact(dy2, x2, localIdx, compactGrad, tokens, out, in);
                else be.sampledMatmul(dy2, x2, localIdx, w.gradForAccumulation(), tokens, out, in);
            }
        }, x, w);
    }
}
