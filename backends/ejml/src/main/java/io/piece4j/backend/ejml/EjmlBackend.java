package io.piece4j.backend.ejml;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.Buf;
import io.piece4j.tensor.cpu.CpuBackend;
import io.piece4j.tensor.spi.Precision;
import org.ejml.EjmlVersion;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;

/**
 * Matrix products through EJML's dense float32 routines ({@code CommonOps_FDRM}, and its multithreaded
 * twin {@code CommonOps_MT_FDRM} when more than one thread is asked for); every other kernel is the
 * shared scalar CPU kernel of {@link CpuBackend}, as on the reference backend.
 *
 * <p>EJML's matrices start at index 0 of their array, while a tensor is a view at an offset into a
 * larger storage (every weight sits inside the one flat parameter buffer). An operand that does not
 * start at 0 is copied into a matrix of its own; an output that does not is computed in a scratch
 * matrix and copied back. The copies cost O(mk + kn + mn) against the product's O(mnk).
 *
 * <p>EJML's thread count is a global setting of the library ({@link EjmlConcurrency#setMaxThreads});
 * the last EJML backend created sets it. Results depend on the thread count only through EJML's own
 * choice between its serial and concurrent code, which splits C by rows.
 */
public final class EjmlBackend extends CpuBackend {
    private final int threads;

    public EjmlBackend(int threads) {
        super("ejml", Precision.FLOAT32);
        if (threads < 1) throw new IllegalArgumentException("ejml: threads must be at least 1, got " + threads);
        this.threads = threads;
        if (threads > 1) EjmlConcurrency.setMaxThreads(threads);
    }

    @Override
    public String description() {
        return "ejml (EJML " + EjmlVersion.VERSION + " float32 matmul, shared scalar kernels, " + threads
                + (threads == 1 ? " thread)" : " threads)");
    }

    @Override public int threads() { return threads; }

    private float[] f(Tensor t) { return ((Buf.F32) buf(t)).a; }

    /** A rows x cols matrix over array[offset ..]: the array itself when offset is 0, else a copy. */
    private static FMatrixRMaj view(float[] array, int offset, int rows, int cols) {
        if (offset == 0) return FMatrixRMaj.wrap(rows, cols, array);
        float[] copy = new float[rows * cols];
        System.arraycopy(array, offset, copy, 0, copy.length);
        return FMatrixRMaj.wrap(rows, cols, copy);
    }

    @Override
    public void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, int batch, int m, int n, int k,
                       long strideB, boolean accumulate) {
        if (m == 0 || n == 0) return;
        float[] fa = f(a), fb = f(b), fc = f(c);
        int ao = off(a), bo = off(b), co = off(c);
        for (int bt = 0; bt < batch; bt++) {
            int aOff = ao + bt * m * k, bOff = Math.toIntExact(bo + bt * strideB), cOff = co + bt * m * n;
            if (k == 0) { // an empty sum: C = 0, or C unchanged when accumulating
                if (!accumulate) java.util.Arrays.fill(fc, cOff, cOff + m * n, 0f);
                continue;
            }
            FMatrixRMaj ma = transA ? view(fa, aOff, k, m) : view(fa, aOff, m, k);   // stored (k, m) or (m, k)
            FMatrixRMaj mb = transB ? view(fb, bOff, n, k) : view(fb, bOff, k, n);   // stored (n, k) or (k, n)
            boolean inPlace = cOff == 0;
            FMatrixRMaj mc = inPlace ? FMatrixRMaj.wrap(m, n, fc)                       // (m, n)
                    : accumulate ? view(fc, cOff, m, n) : new FMatrixRMaj(m, n);
            product(ma, transA, mb, transB, mc, accumulate);
            if (!inPlace) System.arraycopy(mc.data, 0, fc, cOff, m * n);
        }
    }

    /** C = op(A) op(B), or C += op(A) op(B), with EJML's concurrent routines when threads > 1. */
    private void product(FMatrixRMaj a, boolean transA, FMatrixRMaj b, boolean transB, FMatrixRMaj c, boolean accumulate) {
        boolean mt = threads > 1;
        if (accumulate) {
            if (!transA && !transB) { if (mt) CommonOps_MT_FDRM.multAdd(a, b, c); else CommonOps_FDRM.multAdd(a, b, c); }
            else if (transA && !transB) { if (mt) CommonOps_MT_FDRM.multAddTransA(a, b, c); else CommonOps_FDRM.multAddTransA(a, b, c); }
            else if (!transA) { if (mt) CommonOps_MT_FDRM.multAddTransB(a, b, c); else CommonOps_FDRM.multAddTransB(a, b, c); }
            else { if (mt) CommonOps_MT_FDRM.multAddTransAB(a, b, c); else CommonOps_FDRM.multAddTransAB(a, b, c); }
        } else {
            if (!transA && !transB) { if (mt) CommonOps_MT_FDRM.mult(a, b, c); else CommonOps_FDRM.mult(a, b, c); }
            else if (transA && !transB) { if (mt) CommonOps_MT_FDRM.multTransA(a, b, c); else CommonOps_FDRM.multTransA(a, b, c); }
            else if (!transA) { if (mt) CommonOps_MT_FDRM.multTransB(a, b, c); else CommonOps_FDRM.multTransB(a, b, c); }
            else { if (mt) CommonOps_MT_FDRM.multTransAB(a, b, c); else CommonOps_FDRM.multTransAB(a, b, c); }
        }
    }
}
