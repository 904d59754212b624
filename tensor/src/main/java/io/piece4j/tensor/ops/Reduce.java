package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Shape;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/** Sums and means over one axis or over everything. */
public final class Reduce {
    private Reduce() {}

    /**
     * Sum over axis times alpha; the axis is removed from the shape (a scalar becomes shape [1]).
     * x is viewed as (outer, n, inner); backward broadcasts alpha * dOut back over n.
     */
    public static Tensor sum(Tensor x, int axis, float alpha) {
        int ax = axis < 0 ? x.rank() + axis : axis;
        int[] shape = x.shape();
        int outer = Shape.outer(shape, ax), n = shape[ax], inner = Shape.inner(shape, ax);
        int[] outShape = shape.length == 1 ? new int[] {1} : Shape.without(shape, ax);
        Backend be = x.backend();
        Tensor out = Tensor.activation(be, outShape);
        be.sumAxis(x, out, outer, n, inner, alpha, false);
        return Autograd.record(out, g -> be.broadcastAxis(g, x.gradForAccumulation(), outer, n, inner, alpha), x);
    }

    public static Tensor sum(Tensor x, int axis) { return sum(x, axis, 1f); }

    public static Tensor mean(Tensor x, int axis) {
        int ax = axis < 0 ? x.rank() + axis : axis;
        return sum(x, ax, 1f / x.dim(ax));
    }

    /** Sum of every element, shape [1]. */
    public static Tensor sumAll(Tensor x) { return sum(x.reshape((int) x.numel()), 0, 1f); }

    /** Mean of every element, shape [1]. */
    public static Tensor meanAll(Tensor x) { return sum(x.reshape((int) x.numel()), 0, 1f / x.numel()); }
}
