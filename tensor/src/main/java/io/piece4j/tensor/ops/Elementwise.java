package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Shape;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BinaryOp;
import io.piece4j.tensor.spi.UnaryOp;

/** Elementwise functions and arithmetic with row or scalar broadcasting, forward and backward. */
public final class Elementwise {
    private Elementwise() {}

    // ---------------------------------------------------------------- unary

    /** y = f(x); backward dx += dy * f'(x), computed by the backend from x and y. */
    public static Tensor unary(UnaryOp op, Tensor x) {
        Backend be = x.backend();
        Tensor y = Tensor.activation(be, x.shape());
        be.unary(op, x, y);
        return Autograd.record(y, dy -> be.unaryBackward(op, x, y, dy, x.gradForAccumulation()), x);
    }

    public static Tensor exp(Tensor x) { return unary(UnaryOp.EXP, x); }
    public static Tensor log(Tensor x) { return unary(UnaryOp.LOG, x); }
    public static Tensor silu(Tensor x) { return unary(UnaryOp.SILU, x); }
    public static Tensor neg(Tensor x) { return unary(UnaryOp.NEG, x); }
    public static Tensor square(Tensor x) { return unary(UnaryOp.SQUARE, x); }
    public static Tensor sqrt(Tensor x) { return unary(UnaryOp.SQRT, x); }

    // ---------------------------------------------------------------- binary

    /**
     * out = a op b, out shaped like a. b is the same size as a, one row of a's last axis (broadcast over
     * the rows), or a single number. Backward: da += g * d/da; db += g * d/db summed over the broadcast.
     */
    public static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        long bn = b.numel();
        if (bn != a.numel() && bn != 1 && (a.rank() == 0 || bn != a.dim(-1))) {
            throw new IllegalArgumentException(op + ": cannot broadcast " + Shape.str(b.shape()) + " to " + Shape.str(a.shape())
                    + " (b must match a, a's last axis, or be a scalar)");
        }
        Backend be = a.backend();
        Tensor out = Tensor.activation(be, a.shape());
        be.binary(op, a, b, out);
        return Autograd.record(out, g -> be.binaryBackward(op, a, b, g,
                a.requiresGrad() ? a.gradForAccumulation() : null,
                b.requiresGrad() ? b.gradForAccumulation() : null), a, b);
    }

    public static Tensor add(Tensor a, Tensor b) { return binary(BinaryOp.ADD, a, b); }
    public static Tensor sub(Tensor a, Tensor b) { return binary(BinaryOp.SUB, a, b); }
    public static Tensor mul(Tensor a, Tensor b) { return binary(BinaryOp.MUL, a, b); }
    public static Tensor div(Tensor a, Tensor b) { return binary(BinaryOp.DIV, a, b); }

    /** a * s for a constant s (which gets no gradient). */
    public static Tensor scale(Tensor a, float s) {
        return mul(a, Tensor.full(a.backend(), s, 1));
    }
}
