package io.piece4j.backend.simd;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.Buf;
import io.piece4j.tensor.cpu.CpuBackend;
import io.piece4j.tensor.spi.BinaryOp;
import io.piece4j.tensor.spi.PackedMatrix;
import io.piece4j.tensor.spi.Precision;
import io.piece4j.tensor.spi.RopeLayout;
import io.piece4j.tensor.spi.Storage;
import io.piece4j.tensor.spi.UnaryOp;

import java.util.function.IntConsumer;

/**
 * The Vector API backend: float32 heap storage as {@link CpuBackend}, with the hot kernels replaced by
 * vectorised ones run on a fixed pool of threads; the others are inherited.
 *
 * <p>Determinism: work is cut into pieces whose boundaries depend only on the shapes (stretches of
 * {@link #STRETCH} elements, blocks of about {@link #BLOCK_ELEMENTS} elements of whole rows, one head),
 * never on the thread count. Each piece writes its own outputs; where pieces would add into the same
 * output (the weight gradient of rmsnorm, the gradient of a broadcast operand, a sum of squares, a total
 * loss) each piece fills its own partial result and the calling thread adds them in piece order.
 * Together with {@link LaneMath} this gives the same bits for any thread count, cold or warm.
 */
public final class SimdBackend extends CpuBackend {
    /** Elementwise kernels run in stretches of this many elements (a multiple of every lane count). */
    static final int STRETCH = 1 << 14;
    /** Row kernels run in blocks of whole rows, about this many elements each (at least one row). */
    static final int BLOCK_ELEMENTS = 1 << 14;

    private final WorkerPool pool;

    /** A backend running its kernels on {@code threads} threads (the calling thread waits for them). */
    public SimdBackend(int threads) {
        super("simd", Precision.FLOAT32);
        if (threads < 1) throw new IllegalArgumentException("simd: threads must be at least 1, got " + threads);
        this.pool = new WorkerPool(threads);
    }

    @Override
    public String description() {
        return "simd (Vector API, " + SimdSpecies.FLOAT.length() + " float32 lanes of " + SimdSpecies.FLOAT.vectorBitSize()
                + " bits, " + threads() + (threads() == 1 ? " thread)" : " threads)");
    }

    @Override public int threads() { return pool.threads(); }

    @Override public void close() { pool.close(); }

    private float[] f(Tensor t) {
        return t == null ? null : ((Buf.F32) buf(t)).a;
    }

    // ---------------------------------------------------------------- how work is cut

    private interface Stretch { void run(int from, int length); }

    private interface RowBlock { void run(int block, int fromRow, int toRow); }

    private void run(int tasks, IntConsumer body) {
        if (tasks == 1) body.accept(0);
        else if (tasks > 1) pool.parallelFor(tasks, body);
    }

    static int stretches(int n) { return (n + STRETCH - 1) / STRETCH; }

    private void forStretches(int n, Stretch body) {
        run(stretches(n), s -> body.run(s * STRETCH, Math.min(STRETCH, n - s * STRETCH)));
    }

    static int rowsPerBlock(int cols) { return Math.max(1, BLOCK_ELEMENTS / Math.max(1, cols)); }

    static int blocks(int rows, int cols) {
        int per = rowsPerBlock(cols);
        return (rows + per - 1) / per;
    }

    private void forRowBlocks(int rows, int cols, RowBlock body) {
        int per = rowsPerBlock(cols);
        run(blocks(rows, cols), blk -> body.run(blk, blk * per, Math.min(rows, (blk + 1) * per)));
    }

    /**
     * dst[j] += sum over blocks, in block order, of partials[block * n + j]. The sum is rounded to float before it is
     * added, as the sampled weight gradient adds its dot products: a gradient accumulated over micro-batches is
     * then the float sum, in order, of each micro-batch's own gradient, which data-parallel training (the
     * distributed module) reproduces bit for bit from gradients computed on different machines.
     */
    private static void addPartials(float[] partials, int blocks, float[] dst, int dstOff, int n) {
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int b = 0; b < blocks; b++) s += partials[b * n + j];
            dst[dstOff + j] += (float) s;
        }
    }

    // work arrays of the calling thread (shared with the workers through the lambdas)
    private static final WorkArrays<float[]> PARTIAL_ROWS = WorkArrays.floats();
    private static final WorkArrays<double[]> PARTIAL_SUMS = WorkArrays.doubles();

    /** The calling thread's (blocks, n) partial sums, zeroed. */
    private static float[] zeroedPartials(int blocks, int n) {
        float[] p = PARTIAL_ROWS.atLeast(blocks * n);
        java.util.Arrays.fill(p, 0, blocks * n, 0f);
        return p;
    }

    // ---------------------------------------------------------------- filling

    /** Fills of at least this many floats run on every thread (the activation arena zeroes hundreds of MB a step). */
    static final long PARALLEL_FILL = 1 << 20;

    @Override
    public void fill(Storage dst, long offset, long length, float value) {
        if (length < PARALLEL_FILL || !(buf(dst) instanceof Buf.F32 f32) || offset + length > f32.a.length || offset < 0) {
            super.fill(dst, offset, length, value); // small, double storage, or out of range (the parent says which)
            return;
        }
        float[] a = f32.a;
        int from = (int) offset, n = (int) length;
        forStretches(n, (start, len) -> java.util.Arrays.fill(a, from + start, from + start + len, value));
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor y) {
        float[] fx = f(x), fy = f(y);
        int xo = off(x), yo = off(y);
        forStretches(x.size(), (from, len) -> SimdElementwise.unary(op, fx, xo + from, fy, yo + from, len));
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        float[] fa = f(a), fb = f(b), fo = f(out);
        int ao = off(a), bo = off(b), oo = off(out);
        int n = a.size(), bn = b.size();
        if (bn == n) {
            forStretches(n, (from, len) -> SimdElementwise.binary(op, fa, ao + from, fb, bo + from, fo, oo + from, len));
        } else if (bn == 1) {
            float scalar = fb[bo];
            forStretches(n, (from, len) -> SimdElementwise.binaryScalar(op, fa, ao + from, scalar, fo, oo + from, len));
        } else if (n % bn == 0) {
            forRowBlocks(n / bn, bn, (blk, from, to) -> {
                for (int r = from; r < to; r++) SimdElementwise.binary(op, fa, ao + r * bn, fb, bo, fo, oo + r * bn, bn);
            });
        } else {
            super.binary(op, a, b, out);
        }
    }

    @Override
    public void binaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dOut, Tensor da, Tensor db) {
        if (da == null && db == null) return;
        float[] fa = f(a), fb = f(b), fg = f(dOut), fda = f(da), fdb = f(db);
        int ao = off(a), bo = off(b), go = off(dOut), dao = off(da), dbo = off(db);
        int n = a.size(), bn = b.size();
        if (bn == n) {
            forStretches(n, (from, len) -> SimdElementwise.binaryBackward(op, fa, ao + from, fb, bo + from, fg, go + from,
                    fda, dao + from, fdb, dbo + from, len));
        } else if (bn == 1) {
            double[] partial = PARTIAL_SUMS.atLeast(stretches(n)); // (stretches) sums of the gradient of b, each written once
            float scalar = fb[bo];
            forStretches(n, (from, len) -> partial[from / STRETCH] = SimdElementwise.binaryBackwardScalar(op, fa, ao + from,
                    scalar, fg, go + from, fda, dao + from, fdb != null, len));
            if (fdb != null) {
                double s = 0;
                for (int i = 0, count = stretches(n); i < count; i++) s += partial[i];
                fdb[dbo] = (float) (fdb[dbo] + s);
            }
        } else if (n % bn == 0) {
            int blocks = blocks(n / bn, bn);
            float[] partials = fdb == null ? null : zeroedPartials(blocks, bn); // (blocks, bn)
            forRowBlocks(n / bn, bn, (blk, from, to) -> {
                for (int r = from; r < to; r++) {
                    SimdElementwise.binaryBackward(op, fa, ao + r * bn, fb, bo, fg, go + r * bn, fda, dao + r * bn, partials, blk * bn, bn);
                }
            });
            if (partials != null) addPartials(partials, blocks, fdb, dbo, bn);
        } else {
            super.binaryBackward(op, a, b, dOut, da, db);
        }
    }

    @Override
    public void addScaled(Tensor dst, Tensor src, float alpha) {
        float[] fd = f(dst), fs = f(src);
        int dso = off(dst), so = off(src);
        forStretches(dst.size(), (from, len) -> SimdElementwise.addScaled(fd, dso + from, fs, so + from, alpha, len));
    }

    // sumOfSquares and sumOfSquaresAt stay the inherited scalar loops: a gradient norm summed in double in
    // index order is the same whether the zeros outside a mask are present or gathered away, which makes
    // clipping, and so MaskedAdamW against dense AdamW, bit-identical. It is one pass per optimizer step.

    // ---------------------------------------------------------------- matrix products

    @Override
    public void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c, int batch, int m, int n, int k,
                       long strideB, boolean accumulate) {
        float[] fa = f(a), fb = f(b), fc = f(c);
        int ao = off(a), bo = off(b), co = off(c);
        for (int bt = 0; bt < batch; bt++) {
            SimdMatmul.matmul(fa, ao + bt * m * k, transA, fb, Math.toIntExact(bo + bt * strideB), transB,
                    fc, co + bt * m * n, m, n, k, accumulate, pool);
        }
    }

    // ---------------------------------------------------------------- transformer kernels

    @Override
    public void softmax(Tensor x, Tensor y, int rows, int cols) {
        float[] fx = f(x), fy = f(y);
        int xo = off(x), yo = off(y);
        forRowBlocks(rows, cols, (blk, from, to) -> SimdSoftmax.softmax(fx, xo, fy, yo, cols, from, to));
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx, int rows, int cols) {
        float[] fy = f(y), fdy = f(dy), fdx = f(dx);
        int yo = off(y), dyo = off(dy), dxo = off(dx);
        forRowBlocks(rows, cols, (blk, from, to) -> SimdSoftmax.softmaxBackward(fy, yo, fdy, dyo, fdx, dxo, cols, from, to));
    }

    @Override
    public void rmsnorm(Tensor x, Tensor weight, Tensor y, Tensor rstd, int rows, int cols, float eps) {
        float[] fx = f(x), fw = f(weight), fy = f(y), fr = f(rstd);
        int xo = off(x), wo = off(weight), yo = off(y), ro = off(rstd);
        forRowBlocks(rows, cols, (blk, from, to) -> SimdNorms.rmsnorm(fx, xo, fw, wo, fy, yo, fr, ro, cols, eps, from, to));
    }

    @Override
    public void rmsnormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor dy, Tensor dx, Tensor dWeight, int rows, int cols) {
        if (dx == null && dWeight == null) return;
        float[] fx = f(x), fw = f(weight), fr = f(rstd), fdy = f(dy), fdx = f(dx), fdw = f(dWeight);
        int xo = off(x), wo = off(weight), ro = off(rstd), dyo = off(dy), dxo = off(dx), dwo = off(dWeight);
        int blocks = blocks(rows, cols);
        float[] partials = fdw == null ? null : zeroedPartials(blocks, cols); // (blocks, cols)
        forRowBlocks(rows, cols, (blk, from, to) -> SimdNorms.rmsnormBackward(fx, xo, fw, wo, fr, ro, fdy, dyo, fdx, dxo,
                partials, blk * cols, cols, from, to));
        if (partials != null) addPartials(partials, blocks, fdw, dwo, cols);
    }

    @Override
    public void rope(Tensor x, Tensor y, Tensor cos, Tensor sin, int batch, int seq, int heads, int headDim, int posOffset,
                     RopeLayout layout, boolean inverse, boolean accumulate) {
        float[] fx = f(x), fy = f(y), fc = f(cos), fs = f(sin);
        int xo = off(x), yo = off(y), co = off(cos), so = off(sin);
        forRowBlocks(batch * seq, heads * headDim, (blk, from, to) -> SimdRope.rope(fx, xo, fy, yo, fc, co, fs, so, seq, heads,
                headDim, posOffset, layout, inverse, accumulate, from, to));
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor probs, int batch, int tq, int tk, int kvCapacity,
                          int heads, int kvHeads, int headDim) {
        float[] fq = f(q), fk = f(k), fv = f(v), fo = f(out), fp = f(probs);
        int qo = off(q), ko = off(k), vo = off(v), oo = off(out), po = off(probs);
        run(batch * heads, task -> SimdAttention.forwardHead(fq, qo, fk, ko, fv, vo, fo, oo, fp, po,
                task / heads, task % heads, tq, tk, kvCapacity, heads, kvHeads, headDim));
    }

    /** Decoding reads a query's scores with contiguous loads from transposed keys, instead of gathering them. */
    @Override
    public boolean prefersTransposedKeys() { return true; }

    @Override
    public void writeKeysTransposed(Tensor keys, Tensor keysT, int rows, int at, int kvDim, int kvCapacity) {
        float[] src = f(keys), dst = f(keysT);
        int so = off(keys), d0 = off(keysT) + at;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < kvDim; c++) dst[d0 + c * kvCapacity + r] = src[so + r * kvDim + c];
        }
    }

    @Override
    public void attentionKeysTransposed(Tensor q, Tensor keysT, Tensor values, Tensor out, int tq, int tk, int kvCapacity,
                                        int heads, int kvHeads, int headDim) {
        float[] fq = f(q), fk = f(keysT), fv = f(values), fo = f(out);
        int qo = off(q), ko = off(keysT), vo = off(values), oo = off(out);
        run(heads, h -> SimdAttention.forwardHeadKeysTransposed(fq, qo, fk, ko, fv, vo, fo, oo, h, tq, tk, kvCapacity, heads,
                kvHeads, headDim));
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor probs, Tensor dOut, Tensor dq, Tensor dk, Tensor dv,
                                  int batch, int tq, int tk, int heads, int kvHeads, int headDim) {
        if (dq == null && dk == null && dv == null) return;
        float[] fq = f(q), fk = f(k), fv = f(v), fp = f(probs), fg = f(dOut), fdq = f(dq), fdk = f(dk), fdv = f(dv);
        int qo = off(q), ko = off(k), vo = off(v), po = off(probs), go = off(dOut), dqo = off(dq), dko = off(dk), dvo = off(dv);
        run(batch * kvHeads, task -> SimdAttention.backwardKvHead(fq, qo, fk, ko, fv, vo, fp, po, fg, go, fdq, dqo, fdk, dko,
                fdv, dvo, task / kvHeads, task % kvHeads, tq, tk, heads, kvHeads, headDim));
    }

    /**
     * Each task, one kv head of one sequence, first runs the forward of its query heads again into the thread's scratch
     * (group x tq x tk weights), then the same backward as with kept weights: no (batch, heads, tq, tk) buffer exists.
     */
    @Override
    public void attentionBackwardRecomputed(Tensor q, Tensor k, Tensor v, Tensor dOut, Tensor dq, Tensor dk, Tensor dv,
                                            int batch, int tq, int tk, int heads, int kvHeads, int headDim) {
        if (dq == null && dk == null && dv == null) return;
        float[] fq = f(q), fk = f(k), fv = f(v), fg = f(dOut), fdq = f(dq), fdk = f(dk), fdv = f(dv);
        int qo = off(q), ko = off(k), vo = off(v), go = off(dOut), dqo = off(dq), dko = off(dk), dvo = off(dv);
        run(batch * kvHeads, task -> SimdAttention.backwardKvHeadRecomputed(fq, qo, fk, ko, fv, vo, fg, go, fdq, dqo, fdk, dko,
                fdv, dvo, task / kvHeads, task % kvHeads, tq, tk, heads, kvHeads, headDim));
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor out) {
        float[] fg = f(gate), fu = f(up), fo = f(out);
        int go = off(gate), uo = off(up), oo = off(out);
        forStretches(gate.size(), (from, len) -> SimdElementwise.swiglu(fg, go + from, fu, uo + from, fo, oo + from, len));
    }

    @Override
    public void swigluBackward(Tensor gate, Tensor up, Tensor dOut, Tensor dGate, Tensor dUp) {
        if (dGate == null && dUp == null) return;
        float[] fg = f(gate), fu = f(up), fd = f(dOut), fdg = f(dGate), fdu = f(dUp);
        int go = off(gate), uo = off(up), doo = off(dOut), dgo = off(dGate), duo = off(dUp);
        forStretches(gate.size(), (from, len) -> SimdElementwise.swigluBackward(fg, go + from, fu, uo + from, fd, doo + from,
                fdg, dgo + from, fdu, duo + from, len));
    }

    @Override
    public double crossEntropy(Tensor logits, int[] targets, Tensor probs, int rows, int vocab) {
        float[] fl = f(logits), fp = f(probs);
        int lo = off(logits), po = off(probs);
        double[] loss = PARTIAL_SUMS.atLeast(rows); // (rows), each written once
        forRowBlocks(rows, vocab, (blk, from, to) -> SimdSoftmax.crossEntropy(fl, lo, targets, fp, po, loss, vocab, from, to));
        double total = 0;
        for (int r = 0; r < rows; r++) total += loss[r];
        return total;
    }

    @Override
    public void crossEntropyBackward(Tensor probs, int[] targets, Tensor dLogits, int rows, int vocab, float scale) {
        float[] fp = f(probs), fd = f(dLogits);
        int po = off(probs), dlo = off(dLogits);
        forRowBlocks(rows, vocab, (blk, from, to) -> SimdSoftmax.crossEntropyBackward(fp, po, targets, fd, dlo, vocab, scale, from, to));
    }

    // ---------------------------------------------------------------- optimizer

    @Override
    public void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
                      float weightDecay, float bias1, float bias2) {
        float[] fp = f(param), fg = f(grad), fm = f(m), fv = f(v);
        int po = off(param), go = off(grad), mo = off(m), vo = off(v);
        float decay = (float) (1.0 - (double) lr * weightDecay);
        float step = (float) ((double) lr / bias1);
        float rsqrtBias2 = (float) (1.0 / Math.sqrt(bias2));
        forStretches(param.size(), (from, len) -> SimdElementwise.adamw(fp, po + from, fg, go + from, fm, mo + from, fv, vo + from,
                len, decay, step, rsqrtBias2, beta1, beta2, eps));
    }

    /** Masked AdamW with the float arithmetic of {@link #adamw}, so a full mask reproduces dense AdamW bit for bit. */
    @Override
    public void maskedAdamw(Tensor param, Tensor grad, int[] idx, Tensor m, Tensor v, float lr, float beta1, float beta2,
                            float eps, float weightDecay, float bias1, float bias2, float gradScale) {
        float decay = (float) (1.0 - (double) lr * weightDecay);
        float step = (float) ((double) lr / bias1);
        float rsqrtBias2 = (float) (1.0 / Math.sqrt(bias2));
        SimdElementwise.maskedAdamw(f(param), off(param), f(grad), off(grad), idx, f(m), off(m), f(v), off(v),
                decay, step, rsqrtBias2, beta1, beta2, eps, gradScale);
    }

    /** maskedAdamw's arithmetic with the gradient of idx[j] at gradValues[j]. */
    @Override
    public void maskedAdamwCompact(Tensor param, int[] idx, Tensor gradValues, Tensor m, Tensor v, float lr, float beta1, float beta2,
                                   float eps, float weightDecay, float bias1, float bias2, float gradScale) {
        float decay = (float) (1.0 - (double) lr * weightDecay);
        float step = (float) ((double) lr / bias1);
        float rsqrtBias2 = (float) (1.0 / Math.sqrt(bias2));
        SimdElementwise.maskedAdamw(f(param), off(param), f(gradValues), off(gradValues), true, idx, f(m), off(m), f(v), off(v),
                decay, step, rsqrtBias2, beta1, beta2, eps, gradScale);
    }

    @Override
    public void sampledMatmul(Tensor dY, Tensor x, int[] localIdx, Tensor dW, int tokens, int outDim, int inDim) {
        SimdSampledMatmul.run(f(dY), off(dY), f(x), off(x), localIdx, f(dW), off(dW), false, tokens, outDim, inDim, pool);
    }

    @Override
    public void sampledMatmulCompact(Tensor dY, Tensor x, int[] localIdx, Tensor dValues, int tokens, int outDim, int inDim) {
        SimdSampledMatmul.run(f(dY), off(dY), f(x), off(x), localIdx, f(dValues), off(dValues), true, tokens, outDim, inDim, pool);
    }

    // ---------------------------------------------------------------- decoding with packed weights

    @Override
    public void packedLinear(PackedMatrix w, Tensor x, Tensor y, int tokens) {
        SimdPackedLinear.linear(w, f(x), off(x), f(y), off(y), tokens, pool);
    }

    @Override
    public void attentionBf16Cache(Tensor q, short[] keys, short[] values, Tensor out, int tq, int tk, int heads, int kvHeads,
                                   int headDim) {
        SimdBf16CacheAttention.run(f(q), off(q), keys, values, f(out), off(out), tq, tk, heads, kvHeads, headDim, pool);
    }
}
