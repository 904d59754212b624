package io.piece4j.backend.simd;

import io.piece4j.tensor.spi.Bf16Matrix;
import io.piece4j.tensor.spi.F32Matrix;
import io.piece4j.tensor.spi.PackedMatrix;
import io.piece4j.tensor.spi.Q8Matrix;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * y (tokens, rows) = x (tokens, cols) W^T for packed decoding weights, one dot product per output row: the
 * matrix is read once per call, which is what decoding one token at a time is bound by.
 * <ul>
 * <li>bfloat16: L shorts are sign-extended to L ints and shifted left by 16, which puts the 16 bits in the high
 *     half of a float32: the exact value, with no rounding.</li>
 * <li>Q8_0: the int8 values of a block are converted to float lanes and multiplied with x into a block sum, which then
 *     meets the block's scale in one more fma.</li>
 * </ul>
 * Threads split the output rows (blocks of whole rows), so each y element is one thread's chain of fma in a fixed
 * order, and the lanes are folded by {@link LaneMath#sum}: the same bits for any thread count.
 */
final class SimdPackedLinear {
    private SimdPackedLinear() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, S.vectorShape());
    /** L shorts: half the bits of the float vector. */
    private static final VectorSpecies<Short> SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(S.vectorBitSize() / 2));
    /** At least 8 bytes (the narrowest byte vector): with 4 float lanes one load feeds two conversions. */
    private static final int BYTE_LANES = Math.max(L, 8);
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(8 * BYTE_LANES));
    /** Weights a task reads at least: below this a hand-off to another thread costs more than the work. */
    private static final int MIN_TASK_WEIGHTS = 1 << 17;

    static void linear(PackedMatrix w, float[] x, int xo, float[] y, int yo, int tokens, WorkerPool pool) {
        int rows = w.rows(), cols = w.cols();
        int per = (Math.max(1, MIN_TASK_WEIGHTS / cols) + 3) / 4 * 4, tasks = (rows + per - 1) / per;
        boolean inFours = SimdMatmul.rowsInFours(w.byteSize() / rows);
        RowRange body = switch (w) {
            case F32Matrix m -> (from, to) -> f32Rows(m.values(), cols, x, xo, y, yo, rows, tokens, from, to, inFours);
            case Bf16Matrix m -> (from, to) -> bf16Rows(m.bits(), cols, x, xo, y, yo, rows, tokens, from, to, inFours);
            case Q8Matrix m -> (from, to) -> q8Rows(m.quants(), m.scales(), cols, x, xo, y, yo, rows, tokens, from, to, inFours);
        };
        if (tasks == 1) body.run(0, rows);
        else pool.parallelFor(tasks, task -> body.run(task * per, Math.min(rows, (task + 1) * per)));
    }

    private interface RowRange { void run(int fromRow, int toRow); }

    // Each kernel runs long rows four at a time: four independent chains of fma hide the fma latency (one chain per row
    // would wait on its own previous fma every step) and share each load of x. Short rows, and rows left over, run one
    // at a time (SimdMatmul.rowsInFours says why: short rows four at a time defeat the prefetchers), with the same
    // arithmetic per row, so a row's result does not depend on which way it went.

    private static void f32Rows(float[] v, int cols, float[] x, int xo, float[] y, int yo, int rows, int tokens, int from, int to,
                                boolean inFours) {
        int bound = S.loopBound(cols);
        for (int t = 0; t < tokens; t++) {
            int xb = xo + t * cols, yb = yo + t * rows;
            int r = from;
            for (; inFours && r + 4 <= to; r += 4) {
                int b0 = r * cols, b1 = b0 + cols, b2 = b1 + cols, b3 = b2 + cols;
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector xv = FloatVector.fromArray(S, x, xb + j);
                    a0 = FloatVector.fromArray(S, v, b0 + j).fma(xv, a0);
                    a1 = FloatVector.fromArray(S, v, b1 + j).fma(xv, a1);
                    a2 = FloatVector.fromArray(S, v, b2 + j).fma(xv, a2);
                    a3 = FloatVector.fromArray(S, v, b3 + j).fma(xv, a3);
                }
                y[yb + r] = f32Tail(v, b0, x, xb, j, cols, LaneMath.sum(a0));
                y[yb + r + 1] = f32Tail(v, b1, x, xb, j, cols, LaneMath.sum(a1));
                y[yb + r + 2] = f32Tail(v, b2, x, xb, j, cols, LaneMath.sum(a2));
                y[yb + r + 3] = f32Tail(v, b3, x, xb, j, cols, LaneMath.sum(a3));
            }
            for (; r < to; r++) {
                int b0 = r * cols;
                FloatVector a0 = FloatVector.zero(S);
                int j = 0;
                for (; j < bound; j += L) a0 = FloatVector.fromArray(S, v, b0 + j).fma(FloatVector.fromArray(S, x, xb + j), a0);
                y[yb + r] = f32Tail(v, b0, x, xb, j, cols, LaneMath.sum(a0));
            }
        }
    }

    private static float f32Tail(float[] v, int base, float[] x, int xb, int j, int cols, float s) {
        for (; j < cols; j++) s = Math.fma(v[base + j], x[xb + j], s);
        return s;
    }

    private static void bf16Rows(short[] bits, int cols, float[] x, int xo, float[] y, int yo, int rows, int tokens, int from, int to,
                                 boolean inFours) {
        int bound = S.loopBound(cols);
        for (int t = 0; t < tokens; t++) {
            int xb = xo + t * cols, yb = yo + t * rows;
            int r = from;
            for (; inFours && r + 4 <= to; r += 4) {
                int b0 = r * cols, b1 = b0 + cols, b2 = b1 + cols, b3 = b2 + cols;
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector xv = FloatVector.fromArray(S, x, xb + j);
                    a0 = widen(bits, b0 + j).fma(xv, a0);
                    a1 = widen(bits, b1 + j).fma(xv, a1);
                    a2 = widen(bits, b2 + j).fma(xv, a2);
                    a3 = widen(bits, b3 + j).fma(xv, a3);
                }
                y[yb + r] = bf16Tail(bits, b0, x, xb, j, cols, LaneMath.sum(a0));
                y[yb + r + 1] = bf16Tail(bits, b1, x, xb, j, cols, LaneMath.sum(a1));
                y[yb + r + 2] = bf16Tail(bits, b2, x, xb, j, cols, LaneMath.sum(a2));
                y[yb + r + 3] = bf16Tail(bits, b3, x, xb, j, cols, LaneMath.sum(a3));
            }
            for (; r < to; r++) {
                int b0 = r * cols;
                FloatVector a0 = FloatVector.zero(S);
                int j = 0;
                for (; j < bound; j += L) a0 = widen(bits, b0 + j).fma(FloatVector.fromArray(S, x, xb + j), a0);
                y[yb + r] = bf16Tail(bits, b0, x, xb, j, cols, LaneMath.sum(a0));
            }
        }
    }

    private static float bf16Tail(short[] bits, int base, float[] x, int xb, int j, int cols, float s) {
        for (; j < cols; j++) s = Math.fma(Bf16Matrix.toFloat(bits[base + j]), x[xb + j], s);
        return s;
    }

    /**
     * L bfloat16 values from bits[at ..] as float32: sign-extend to int, shift the 16 bits into the high half. Small
     * enough that C2 inlines it at every call, here and in {@link SimdBf16CacheAttention}.
     */
    static FloatVector widen(short[] bits, int at) {
        ShortVector s = ShortVector.fromArray(SHORTS, bits, at);
        IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, INTS, 0);
        return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    // The Q8_0 loops are written out in one method each, with no helper that returns a vector: a vector that crosses a
    // call C2 does not inline is a heap object, and whether a large helper is inlined is up to C2's budget.
    private static void q8Rows(byte[] q, float[] d, int cols, float[] x, int xo, float[] y, int yo, int rows, int tokens, int from, int to,
                               boolean inFours) {
        if (L == 16) q8Rows16(q, d, cols, x, xo, y, yo, rows, tokens, from, to, inFours);
        else q8RowsAnyWidth(q, d, cols, x, xo, y, yo, rows, tokens, from, to, inFours);
    }

    /**
     * 16 float lanes (AVX-512): a block of 32 is two float vectors. Its first half's products start the block sum with a
     * multiply, the second half's add by fma: no zeroed accumulator and one fma fewer per block and row than
     * {@link #q8RowsAnyWidth}, which measured a third faster on the 32000 x 288 output head (the values are the same:
     * q x + 0 rounds as q x does).
     */
    private static void q8Rows16(byte[] q, float[] d, int cols, float[] x, int xo, float[] y, int yo, int rows, int tokens, int from, int to,
                                 boolean inFours) {
        int blocks = cols / Q8Matrix.BLOCK;
        for (int t = 0; t < tokens; t++) {
            int xb = xo + t * cols, yb = yo + t * rows;
            int r = from;
            for (; inFours && r + 4 <= to; r += 4) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int b = 0; b < blocks; b++) {
                    int q0 = r * cols + b * Q8Matrix.BLOCK, q1 = q0 + L, xj = xb + b * Q8Matrix.BLOCK;
                    FloatVector x0 = FloatVector.fromArray(S, x, xj), x1 = FloatVector.fromArray(S, x, xj + L);
                    FloatVector s0 = ((FloatVector) ByteVector.fromArray(BYTES, q, q0).convertShape(VectorOperators.B2F, S, 0)).mul(x0);
                    FloatVector s1 = ((FloatVector) ByteVector.fromArray(BYTES, q, q0 + cols).convertShape(VectorOperators.B2F, S, 0)).mul(x0);
                    FloatVector s2 = ((FloatVector) ByteVector.fromArray(BYTES, q, q0 + 2 * cols).convertShape(VectorOperators.B2F, S, 0)).mul(x0);
                    FloatVector s3 = ((FloatVector) ByteVector.fromArray(BYTES, q, q0 + 3 * cols).convertShape(VectorOperators.B2F, S, 0)).mul(x0);
                    s0 = ((FloatVector) ByteVector.fromArray(BYTES, q, q1).convertShape(VectorOperators.B2F, S, 0)).fma(x1, s0);
                    s1 = ((FloatVector) ByteVector.fromArray(BYTES, q, q1 + cols).convertShape(VectorOperators.B2F, S, 0)).fma(x1, s1);
                    s2 = ((FloatVector) ByteVector.fromArray(BYTES, q, q1 + 2 * cols).convertShape(VectorOperators.B2F, S, 0)).fma(x1, s2);
                    s3 = ((FloatVector) ByteVector.fromArray(BYTES, q, q1 + 3 * cols).convertShape(VectorOperators.B2F, S, 0)).fma(x1, s3);
                    int d0 = r * blocks + b;
                    a0 = s0.fma(FloatVector.broadcast(S, d[d0]), a0);
                    a1 = s1.fma(FloatVector.broadcast(S, d[d0 + blocks]), a1);
                    a2 = s2.fma(FloatVector.broadcast(S, d[d0 + 2 * blocks]), a2);
                    a3 = s3.fma(FloatVector.broadcast(S, d[d0 + 3 * blocks]), a3);
                }
                y[yb + r] = LaneMath.sum(a0);
                y[yb + r + 1] = LaneMath.sum(a1);
                y[yb + r + 2] = LaneMath.sum(a2);
                y[yb + r + 3] = LaneMath.sum(a3);
            }
            for (; r < to; r++) {
                FloatVector a0 = FloatVector.zero(S);
                for (int b = 0; b < blocks; b++) {
                    int q0 = r * cols + b * Q8Matrix.BLOCK, xj = xb + b * Q8Matrix.BLOCK;
                    FloatVector s0 = ((FloatVector) ByteVector.fromArray(BYTES, q, q0).convertShape(VectorOperators.B2F, S, 0))
                            .mul(FloatVector.fromArray(S, x, xj));
                    s0 = ((FloatVector) ByteVector.fromArray(BYTES, q, q0 + L).convertShape(VectorOperators.B2F, S, 0))
                            .fma(FloatVector.fromArray(S, x, xj + L), s0);
                    a0 = s0.fma(FloatVector.broadcast(S, d[r * blocks + b]), a0);
                }
                y[yb + r] = LaneMath.sum(a0);
            }
        }
    }

    /** Any lane count: a block's sums start from zero and take one fma per L weights. */
    private static void q8RowsAnyWidth(byte[] q, float[] d, int cols, float[] x, int xo, float[] y, int yo, int rows, int tokens,
                                       int from, int to, boolean inFours) {
        int blocks = cols / Q8Matrix.BLOCK, parts = BYTE_LANES / L;
        for (int t = 0; t < tokens; t++) {
            int xb = xo + t * cols, yb = yo + t * rows;
            int r = from;
            for (; inFours && r + 4 <= to; r += 4) {
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int b = 0; b < blocks; b++) {
                    int q0 = r * cols + b * Q8Matrix.BLOCK, xj = xb + b * Q8Matrix.BLOCK;
                    FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0; // the block's sums of q * x
                    for (int j = 0; j < Q8Matrix.BLOCK; j += BYTE_LANES) {
                        ByteVector v0 = ByteVector.fromArray(BYTES, q, q0 + j), v1 = ByteVector.fromArray(BYTES, q, q0 + cols + j);
                        ByteVector v2 = ByteVector.fromArray(BYTES, q, q0 + 2 * cols + j), v3 = ByteVector.fromArray(BYTES, q, q0 + 3 * cols + j);
                        for (int part = 0; part < parts; part++) {
                            FloatVector xv = FloatVector.fromArray(S, x, xj + j + part * L);
                            s0 = ((FloatVector) v0.convertShape(VectorOperators.B2F, S, part)).fma(xv, s0);
                            s1 = ((FloatVector) v1.convertShape(VectorOperators.B2F, S, part)).fma(xv, s1);
                            s2 = ((FloatVector) v2.convertShape(VectorOperators.B2F, S, part)).fma(xv, s2);
                            s3 = ((FloatVector) v3.convertShape(VectorOperators.B2F, S, part)).fma(xv, s3);
                        }
                    }
                    int d0 = r * blocks + b;
                    a0 = s0.fma(FloatVector.broadcast(S, d[d0]), a0);
                    a1 = s1.fma(FloatVector.broadcast(S, d[d0 + blocks]), a1);
                    a2 = s2.fma(FloatVector.broadcast(S, d[d0 + 2 * blocks]), a2);
                    a3 = s3.fma(FloatVector.broadcast(S, d[d0 + 3 * blocks]), a3);
                }
                y[yb + r] = LaneMath.sum(a0);
                y[yb + r + 1] = LaneMath.sum(a1);
                y[yb + r + 2] = LaneMath.sum(a2);
                y[yb + r + 3] = LaneMath.sum(a3);
            }
            for (; r < to; r++) {
                FloatVector a0 = FloatVector.zero(S);
                for (int b = 0; b < blocks; b++) {
                    int q0 = r * cols + b * Q8Matrix.BLOCK, xj = xb + b * Q8Matrix.BLOCK;
                    FloatVector s0 = FloatVector.zero(S);
                    for (int j = 0; j < Q8Matrix.BLOCK; j += BYTE_LANES) {
                        ByteVector v0 = ByteVector.fromArray(BYTES, q, q0 + j);
                        for (int part = 0; part < parts; part++) {
                            s0 = ((FloatVector) v0.convertShape(VectorOperators.B2F, S, part)).fma(FloatVector.fromArray(S, x, xj + j + part * L), s0);
                        }
                    }
                    a0 = s0.fma(FloatVector.broadcast(S, d[r * blocks + b]), a0);
                }
                y[yb + r] = LaneMath.sum(a0);
            }
        }
    }
}
