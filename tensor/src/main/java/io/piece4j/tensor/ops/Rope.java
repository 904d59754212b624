package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Shape;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.RopeLayout;

/** Rotary position embedding of query or key heads. */
public final class Rope {
    private Rope() {}

    /**
     * x (batch, seq, heads, headDim) at absolute positions posOffset..posOffset+seq-1 -> rotated copy.
     * A rotation is orthogonal, so the backward is the inverse rotation of the output gradient.
     */
    public static Tensor rope(Tensor x, RopeTable table, int posOffset, RopeLayout layout) {
        if (x.rank() != 4 || x.dim(3) != table.headDim()) {
            throw new IllegalArgumentException("rope expects (batch, seq, heads, " + table.headDim() + "), got " + Shape.str(x.shape()));
        }
        int batch = x.dim(0), seq = x.dim(1), heads = x.dim(2), hd = x.dim(3);
        if (posOffset < 0 || posOffset + seq > table.maxSeq()) {
            throw new IllegalArgumentException("positions " + posOffset + ".." + (posOffset + seq - 1) + " exceed the rope table of " + table.maxSeq());
        }
        Backend be = x.backend();
        Tensor y = Tensor.activation(be, x.shape());
        be.rope(x, y, table.cos(), table.sin(), batch, seq, heads, hd, posOffset, layout, false, false);
        return Autograd.record(y, dy -> {
            Tensor.GradTarget dx = x.gradForWriting(); // the inverse rotation writes every element
            be.rope(dy, dx.grad(), table.cos(), table.sin(), batch, seq, heads, hd, posOffset, layout, true, !dx.overwrite());
        }, x);
    }
}
