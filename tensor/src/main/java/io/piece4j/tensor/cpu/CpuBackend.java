package io.piece4j.tensor.cpu;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BinaryOp;
import io.piece4j.tensor.spi.Precision;
import io.piece4j.tensor.spi.RopeLayout;
import io.piece4j.tensor.spi.Storage;
import io.piece4j.tensor.spi.UnaryOp;

/**
 * A backend whose storage is a Java array and whose kernels are {@link CpuKernels}. The reference
 * backend is exactly this; the SIMD backend extends it and overrides the hot kernels.
 */
public class CpuBackend implements Backend {
    private final String name;
    private final Precision precision;

    protected CpuBackend(String name, Precision precision) {
        this.name = name;
        this.precision = precision;
    }

    @Override public String name() { return name; }
    @Override public String description() { return name + " (scalar, " + precision.name().toLowerCase() + " storage, double accumulation, 1 thread)"; }
    @Override public int threads() { return 1; }
    @Override public Precision precision() { return precision; }

    // ---------------------------------------------------------------- memory

    @Override
    public Storage allocate(long elements) {
        if (elements < 0 || elements > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(name + ": cannot allocate " + elements + " elements (heap storage holds at most 2^31 - 9)");
        }
        int n = (int) elements;
        return new HeapStorage(this, precision == Precision.FLOAT64 ? new Buf.F64(new double[n]) : new Buf.F32(new float[n]));
    }

    /** The buffer behind a tensor; rejects another backend's storage. */
    protected final Buf buf(Tensor t) {
        return t == null ? null : buf(t.storage());
    }

    protected final Buf buf(Storage s) {
        if (s instanceof HeapStorage h && h.backend() == this) return h.buf();
        throw new IllegalArgumentException(name + ": storage belongs to " + s.backend().name() + ", not to this backend");
    }

    protected static int off(Tensor t) { return t == null ? 0 : (int) t.offset(); }

    private void checkRange(Storage s, long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > s.size()) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + (offset + length) + ") of storage of " + s.size());
        }
    }

    @Override
    public void write(Storage dst, long dstOffset, float[] src, int srcOffset, int length) {
        checkRange(dst, dstOffset, length);
        Buf b = buf(dst);
        if (b instanceof Buf.F32 f) System.arraycopy(src, srcOffset, f.a, (int) dstOffset, length);
        else for (int i = 0; i < length; i++) b.set((int) dstOffset + i, src[srcOffset + i]);
    }

    @Override
    public void read(Storage src, long srcOffset, float[] dst, int dstOffset, int length) {
        checkRange(src, srcOffset, length);
        Buf b = buf(src);
        if (b instanceof Buf.F32 f) System.arraycopy(f.a, (int) srcOffset, dst, dstOffset, length);
        else for (int i = 0; i < length; i++) dst[dstOffset + i] = (float) b.get((int) srcOffset + i);
    }

    @Override
    public void writeDouble(Storage dst, long dstOffset, double[] src, int srcOffset, int length) {
        checkRange(dst, dstOffset, length);
        Buf b = buf(dst);
        for (int i = 0; i < length; i++) b.set((int) dstOffset + i, src[srcOffset + i]);
    }

    @Override
    public void readDouble(Storage src, long srcOffset, double[] dst, int dstOffset, int length) {
        checkRange(src, srcOffset, length);
        Buf b = buf(src);
        for (int i = 0; i < length; i++) dst[dstOffset + i] = b.get((int) srcOffset + i);
    }

    @Override
    public void copy(Storage src, long srcOffset, Storage dst, long dstOffset, long length) {
        checkRange(src, srcOffset, length);
        checkRange(dst, dstOffset, length);
        Buf s = buf(src), d = buf(dst);
        if (s instanceof Buf.F32 fs && d instanceof Buf.F32 fd) {
            System.arraycopy(fs.a, (int) srcOffset, fd.a, (int) dstOffset, (int) length);
        } else if (s instanceof Buf.F64 ds && d instanceof Buf.F64 dd) {
            System.arraycopy(ds.a, (int) srcOffset, dd.a, (int) dstOffset, (int) length);
        } else {
            for (int i = 0; i < length; i++) d.set((int) dstOffset + i, s.get((int) srcOffset + i));
        }
    }

    @Override
    public void fill(Storage dst, long offset, long length, float value) {
        checkRange(dst, offset, length);
        Buf b = buf(dst);
        if (b instanceof Buf.F32 f) java.util.Arrays.fill(f.a, (int) offset, (int) (offset + length), value);
        else if (b instanceof Buf.F64 d) java.util.Arrays.fill(d.a, (int) offset, (int) (offset + length), value);
    }

    // ---------------------------------------------------------------- kernels

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor y) {
        CpuKernels.unary(op, buf(x), off(x), buf(y), off(y), x.size());
    }

    @Override
    public void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx) {
        CpuKernels.unaryBackward(op, buf(x), off(x), buf(y), off(y), buf(dy), off(dy), buf(dx), off(dx), x.size());
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        CpuKernels.binary(op, buf(a), off(a), buf(b), off(b), b.size(), buf(out), off(out), a.size());
    }

    @Override
    public void binaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dOut, Tensor da, Tensor db) {
        CpuKernels.binaryBackward(op, buf(a), off(a), buf(b), off(b), b.size(), buf(dOut), off(dOut),
                buf(da), off(da), buf(db), off(db), a.size());
    }

    @Override
    public void addScaled(Tensor dst, Tensor src, float alpha) {
        CpuKernels.addScaled(buf(dst), off(dst), buf(src), off(src), dst.size(), alpha);
    }

    @Override
    public double sumOfSquares(Tensor x) {
        return CpuKernels.sumOfSquares(buf(x), off(x), x.size());
    }

    @Override
    public void sumAxis(Tensor x, Tensor out, int outer, int n, int inner, float alpha, boolean accumulate) {
        CpuKernels.sumAxis(buf(x), off(x), buf(out), off(out), outer, n, inner, alpha, accumulate);
    }

    @Override
    public void broadcastAxis(Tensor dOut, Tensor dx, int outer, int n, int inner, float alpha) {
        CpuKernels.broadcastAxis(buf(dOut), off(dOut), buf(dx), off(dx), outer, n, inner, alpha);
    }

    @Override
    public void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, int batch, int m, int n, int k,
                       long strideB, boolean accumulate) {
        CpuKernels.matmul(buf(a), off(a), transA, buf(b), off(b), transB, buf(c), off(c), batch, m, n, k,
                (int) strideB, accumulate);
    }

    @Override
    public void softmax(Tensor x, Tensor y, int rows, int cols) {
        CpuKernels.softmax(buf(x), off(x), buf(y), off(y), rows, cols);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx, int rows, int cols) {
        CpuKernels.softmaxBackward(buf(y), off(y), buf(dy), off(dy), buf(dx), off(dx), rows, cols);
    }

    @Override
    public void rmsnorm(Tensor x, Tensor weight, Tensor y, Tensor rstd, int rows, int cols, float eps) {
        CpuKernels.rmsnorm(buf(x), off(x), buf(weight), off(weight), buf(y), off(y), buf(rstd), off(rstd), rows, cols, eps);
    }

    @Override
    public void rmsnormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor dy, Tensor dx, Tensor dWeight, int rows, int cols) {
        CpuKernels.rmsnormBackward(buf(x), off(x), buf(weight), off(weight), buf(rstd), off(rstd), buf(dy), off(dy),
                buf(dx), off(dx), buf(dWeight), off(dWeight), rows, cols);
    }

    @Override
    public void rope(Tensor x, Tensor y, Tensor cos, Tensor sin, int batch, int seq, int heads, int headDim, int posOffset,
                     RopeLayout layout, boolean inverse, boolean accumulate) {
        CpuKernels.rope(buf(x), off(x), buf(y), off(y), buf(cos), off(cos), buf(sin), off(sin), batch, seq, heads, headDim,
                posOffset, layout, inverse, accumulate);
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor probs, int batch, int tq, int tk, int kvCapacity,
                          int heads, int kvHeads, int headDim) {
        CpuKernels.attention(buf(q), off(q), buf(k), off(k), buf(v), off(v), buf(out), off(out), buf(probs), off(probs),
                batch, tq, tk, kvCapacity, heads, kvHeads, headDim);
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor probs, Tensor dOut, Tensor dq, Tensor dk, Tensor dv,
                                  int batch, int tq, int tk, int heads, int kvHeads, int headDim) {
        CpuKernels.attentionBackward(buf(q), off(q), buf(k), off(k), buf(v), off(v), buf(probs), off(probs), buf(dOut), off(dOut),
                buf(dq), off(dq), buf(dk), off(dk), buf(dv), off(dv), batch, tq, tk, heads, kvHeads, headDim);
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor out) {
        CpuKernels.swiglu(buf(gate), off(gate), buf(up), off(up), buf(out), off(out), gate.size());
    }

    @Override
    public void swigluBackward(Tensor gate, Tensor up, Tensor dOut, Tensor dGate, Tensor dUp) {
        CpuKernels.swigluBackward(buf(gate), off(gate), buf(up), off(up), buf(dOut), off(dOut), buf(dGate), off(dGate),
                buf(dUp), off(dUp), gate.size());
    }

    @Override
    public void embedding(Tensor table, int[] ids, Tensor out, int dim) {
        CpuKernels.embedding(buf(table), off(table), ids, buf(out), off(out), dim);
    }

    @Override
    public void embeddingBackward(Tensor dOut, int[] ids, Tensor dTable, int dim) {
        CpuKernels.embeddingBackward(buf(dOut), off(dOut), ids, buf(dTable), off(dTable), dim);
    }

    @Override
    public double crossEntropy(Tensor logits, int[] targets, Tensor probs, int rows, int vocab) {
        return CpuKernels.crossEntropy(buf(logits), off(logits), targets, buf(probs), off(probs), rows, vocab);
    }

    @Override
    public void crossEntropyBackward(Tensor probs, int[] targets, Tensor dLogits, int rows, int vocab, float scale) {
        CpuKernels.crossEntropyBackward(buf(probs), off(probs), targets, buf(dLogits), off(dLogits), rows, vocab, scale);
    }

    @Override
    public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, float bias1, float bias2) {
        CpuKernels.adamw(buf(param), off(param), buf(grad), off(grad), buf(m), off(m), buf(v), off(v), param.size(),
                lr, beta1, beta2, eps, weightDecay, bias1, bias2);
    }

    @Override
    public void accumulateMoments(Tensor g, Tensor sum, Tensor sumSq) {
        CpuKernels.accumulateMoments(buf(g), off(g), buf(sum), off(sum), buf(sumSq), off(sumSq), g.size());
    }

    @Override
    public double sumOfSquaresAt(Tensor x, int[] idx) {
        return CpuKernels.sumOfSquaresAt(buf(x), off(x), idx);
    }

    @Override
    public void maskedAdamw(Tensor param, Tensor grad, int[] idx, Tensor m, Tensor v, float lr, float beta1, float beta2,
                            float eps, float weightDecay, float bias1, float bias2, float gradScale) {
        CpuKernels.maskedAdamw(buf(param), off(param), buf(grad), off(grad), idx, buf(m), off(m), buf(v), off(v),
                lr, beta1, beta2, eps, weightDecay, bias1, bias2, gradScale);
    }

    @Override
    public void sampledMatmul(Tensor dY, Tensor x, int[] localIdx, Tensor dW, int tokens, int outDim, int inDim) {
        CpuKernels.sampledMatmul(buf(dY), off(dY), buf(x), off(x), localIdx, buf(dW), off(dW), tokens, outDim, inDim);
    }

    @Override
    public void sampledMatmulCompact(Tensor dY, Tensor x, int[] localIdx, Tensor dValues, int tokens, int outDim, int inDim) {
        CpuKernels.sampledMatmulCompact(buf(dY), off(dY), buf(x), off(x), localIdx, buf(dValues), off(dValues), tokens, outDim, inDim);
    }

    @Override
    public void maskedAdamwCompact(Tensor param, int[] idx, Tensor gradValues, Tensor m, Tensor v, float lr, float beta1, float beta2,
                                   float eps, float weightDecay, float bias1, float bias2, float gradScale) {
        CpuKernels.maskedAdamwCompact(buf(param), off(param), idx, buf(gradValues), off(gradValues), buf(m), off(m), buf(v), off(v),
                lr, beta1, beta2, eps, weightDecay, bias1, bias2, gradScale);
    }
}
