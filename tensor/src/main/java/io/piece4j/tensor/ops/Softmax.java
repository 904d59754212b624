package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/** Softmax over the last axis. */
public final class Softmax {
    private Softmax() {}

    /** y = exp(x - max) / sum; backward needs only y: dx += y * (dy - sum(dy * y)). */
    public static Tensor softmax(Tensor x) {
        int cols = x.dim(-1), rows = (int) (x.numel() / cols);
        Backend be = x.backend();
        Tensor y = Tensor.activation(be, x.shape());
        be.softmax(x, y, rows, cols);
        return Autograd.record(y, dy -> be.softmaxBackward(y, dy, x.gradForAccumulation(), rows, cols), x);
    }
}
