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
 * <li>Q8_0: the int8 values of a block are converted to float lanes and fma'd with x into a block sum, which then
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
    private static final int MIN_TASK_WEIGHTS = 1 << 15;

    static void linear(PackedMatrix w, float[] x, int xo, float[] y, int yo, int tokens, WorkerPool pool) {
        int rows = w.rows(), cols = w.cols();
        int per = Math.max(1, MIN_TASK_WEIGHTS / cols), tasks = (rows + per - 1) / per;
        RowRange body = switch (w) {
            case F32Matrix m -> (from, to) -> f32Rows(m.values(), cols, x, xo, y, yo, rows, tokens, from, to);
            case Bf16Matrix m -> (from, to) -> bf16Rows(m.bits(), cols, x, xo, y, yo, rows, tokens, from, to);
            case Q8Matrix m -> (from, to) -> q8Rows(m.quants(), m.scales(), cols, x, xo, y, yo, rows, tokens, from, to);
        };
        if (tasks == 1) body.run(0, rows);
        else pool.parallelFor(tasks, task -> body.run(task * per, Math.min(rows, (task + 1) * per)));
    }

    private interface RowRange { void run(int fromRow, int toRow); }

    private static void f32Rows(float[] v, int cols, float[] x, int xo, float[] y, int yo, int rows, int tokens, int from, int to) {
        int bound = S.loopBound(cols);
        for (int r = from; r < to; r++) {
            int base = r * cols;
            for (int t = 0; t < tokens; t++) {
                int xb = xo + t * cols;
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (; j < bound; j += L) acc = FloatVector.fromArray(S, v, base + j).fma(FloatVector.fromArray(S, x, xb + j), acc);
                float s = LaneMath.sum(acc);
                for (; j < cols; j++) s = Math.fma(v[base + j], x[xb + j], s);
                y[yo + t * rows + r] = s;
            }
        }
    }

    private static void bf16Rows(short[] bits, int cols, float[] x, int xo, float[] y, int yo, int rows, int tokens, int from, int to) {
        int bound = S.loopBound(cols);
        for (int r = from; r < to; r++) {
            int base = r * cols;
            for (int t = 0; t < tokens; t++) {
                int xb = xo + t * cols;
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (; j < bound; j += L) acc = widen(bits, base + j).fma(FloatVector.fromArray(S, x, xb + j), acc);
                float s = LaneMath.sum(acc);
                for (; j < cols; j++) s = Math.fma(Bf16Matrix.toFloat(bits[base + j]), x[xb + j], s);
                y[yo + t * rows + r] = s;
            }
        }
    }

    /** L bfloat16 values from bits[at ..] as float32: sign-extend to int, shift the 16 bits into the high half. */
    private static FloatVector widen(short[] bits, int at) {
        ShortVector s = ShortVector.fromArray(SHORTS, bits, at);
        IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, INTS, 0);
        return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static void q8Rows(byte[] q, float[] d, int cols, float[] x, int xo, float[] y, int yo, int rows, int tokens, int from, int to) {
        int blocks = cols / Q8Matrix.BLOCK;
        for (int r = from; r < to; r++) {
            for (int t = 0; t < tokens; t++) {
                int xb = xo + t * cols;
                FloatVector acc = FloatVector.zero(S);
                for (int b = 0; b < blocks; b++) {
                    int qb = r * cols + b * Q8Matrix.BLOCK, xj = xb + b * Q8Matrix.BLOCK;
                    FloatVector block = FloatVector.zero(S); // sum of q * x over the block's 32 values
                    for (int j = 0; j < Q8Matrix.BLOCK; j += BYTE_LANES) {
                        ByteVector bytes = ByteVector.fromArray(BYTES, q, qb + j);
                        for (int part = 0; part < BYTE_LANES / L; part++) {
                            FloatVector qf = (FloatVector) bytes.convertShape(VectorOperators.B2F, S, part);
                            block = qf.fma(FloatVector.fromArray(S, x, xj + j + part * L), block);
                        }
                    }
                    acc = block.fma(FloatVector.broadcast(S, d[r * blocks + b]), acc);
                }
                y[yo + t * rows + r] = LaneMath.sum(acc);
            }
        }
    }
}
