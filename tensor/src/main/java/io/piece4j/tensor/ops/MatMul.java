package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Shape;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/** Matrix products with their backward, written side by side. */
public final class MatMul {
    private MatMul() {}

    /**
     * op(A) @ op(B) for 2-D operands, or batched for 3-D operands (batch, ., .) where B may be 2-D and
     * shared. A: (m, k) or, transposed, (k, m); B: (k, n) or, transposed, (n, k). Out: ([batch,] m, n).
     *
     * <p>Backward, with C = A B (ignoring transposes): dA = dC B^T, dB = A^T dC; a transposed operand
     * swaps the roles, so every case is one more matmul with transpose flags.
     */
    public static Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB) {
        boolean batched = a.rank() == 3;
        if (a.rank() < 2 || a.rank() > 3 || b.rank() < 2 || b.rank() > 3 || (b.rank() == 3 && !batched)) {
            throw new IllegalArgumentException("matmul needs 2-D or 3-D operands, got " + Shape.str(a.shape()) + " and " + Shape.str(b.shape()));
        }
        int batch = batched ? a.dim(0) : 1;
        int m = transA ? a.dim(-1) : a.dim(-2);
        int k = transA ? a.dim(-2) : a.dim(-1);
        int kb = transB ? b.dim(-1) : b.dim(-2);
        int n = transB ? b.dim(-2) : b.dim(-1);
        boolean sharedB = b.rank() == 2;
        if (k != kb || (!sharedB && b.dim(0) != batch)) {
            throw new IllegalArgumentException("matmul shapes do not agree: " + Shape.str(a.shape()) + (transA ? "^T" : "")
                    + " @ " + Shape.str(b.shape()) + (transB ? "^T" : ""));
        }
        long strideB = sharedB ? 0 : (long) k * n;
        Backend be = a.backend();
        // written in full by the product (accumulate false), except with k = 0, where C is zero
        int[] cShape = batched ? new int[] {batch, m, n} : new int[] {m, n};
        Tensor c = k > 0 ? Tensor.activationToOverwrite(be, cShape) : Tensor.activation(be, cShape);
        be.matmul(a, transA, b, transB, c, batch, m, n, k, strideB, false);
        return Autograd.record(c, dc -> {
            if (a.requiresGrad()) {
                // every product below writes all of dA (each batch its own rows), so a first contribution overwrites
                Tensor.GradTarget target = a.gradForWriting();
                Tensor da = target.grad();
                boolean add = !target.overwrite();
                // A (m,k): dA = dC (m,n) @ op(B)^T;  A stored (k,m): dA = op(B) @ dC^T
                if (!transA) {
                    be.matmul(dc, false, b, !transB, da, batch, m, k, n, strideB, add);
                } else if (!sharedB) {
                    be.matmul(b, transB, dc, true, da, batch, k, m, n, (long) m * n, add);
                } else {
                    // B is the kernel's left operand here, which has no shared-batch stride: one call per batch
                    for (int i = 0; i < batch; i++) {
                        Tensor dci = dc.viewAs(batch * m, n).rowsNoGrad(i * m, m);
                        Tensor dai = da.viewAs(batch * k, m).rowsNoGrad(i * k, k);
                        be.matmul(b, transB, dci, true, dai, 1, k, m, n, 0, add);
                    }
                }
            }
            if (b.requiresGrad()) {
                Tensor db = b.gradForAccumulation();
                if (sharedB) {
                    // one B for the whole batch: fold the batch into the rows of A and dC
                    Tensor a2 = transA ? null : a.viewAs(batch * m, k);
                    Tensor dc2 = dc.viewAs(batch * m, n);
                    if (transA) {
                        for (int i = 0; i < batch; i++) {
                            Tensor ai = a.viewAs(batch * k, m).rowsNoGrad(i * k, k);
                            Tensor dci = dc2.rowsNoGrad(i * m, m);
                            if (!transB) be.matmul(ai, false, dci, false, db, 1, k, n, m, 0, true);
                            else be.matmul(dci, true, ai, true, db, 1, n, k, m, 0, true);
                        }
                    } else if (!transB) {
                        be.matmul(a2, true, dc2, false, db, 1, k, n, batch * m, 0, true);
                    } else {
                        be.matmul(dc2, true, a2, false, db, 1, n, k, batch * m, 0, true);
                    }
                } else if (!transB) {
                    be.matmul(a, !transA, dc, false, db, batch, k, n, m, (long) m * n, true);
                } else {
                    be.matmul(dc, true, a, transA, db, batch, n, k, m, (long) m * k, true);
                }
            }
        }, a, b);
    }

    public static Tensor matmul(Tensor a, Tensor b) {
        return matmul(a, false, b, false);
    }

    /**
     * The linear layer without bias: x (..., in) @ w^T with w (out, in) as torch.nn.Linear stores it;
     * out (..., out). Leading axes of x are folded into rows.
     */
    public static Tensor linear(Tensor x, Tensor w) {
        int in = x.dim(-1);
        if (w.rank() != 2 || w.dim(1) != in) {
            throw new IllegalArgumentException("linear: x " + Shape.str(x.shape()) + " does not match weight " + Shape.str(w.shape()));
        }
        int rows = (int) (x.numel() / in);
        Tensor y = matmul(x.reshape(rows, in), false, w, true);
        return y.reshape(Shape.replaceLast(x.shape(), w.dim(0)));
    }
}
