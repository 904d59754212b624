package io.piece4j.backend.simd;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Bf16Matrix;
import io.piece4j.tensor.spi.F32Matrix;
import io.piece4j.tensor.spi.PackedKernels;
import io.piece4j.tensor.spi.PackedMatrix;
import io.piece4j.tensor.spi.Q8Matrix;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Vector API products with packed decoding weights against the reference kernel ({@link PackedKernels#linear},
 * summing in double) at shapes that are not multiples of any lane count. Tolerance: float32 accumulation may differ
 * from the double sum by a few units of the float32 epsilon times the sum of |w x|, so each element must be within
 * 1e-5 * sum_j |w_j x_j| of the reference.
 */
class SimdPackedLinearTest {
    private static final int[] AWKWARD = {1, 31, 33, 257};
    private static final int[] Q8_COLS = {32, 64, 96, 288, 4096};
    private static final int[] TOKENS = {1, 3};

    private static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** simd and reference agree at every element within the stated tolerance. */
    private static void checkAgainstReference(PackedMatrix w, int tokens, Random r, SimdBackend be) {
        int rows = w.rows(), cols = w.cols();
        float[] x = gaussian(r, tokens * cols);
        float[] expected = new float[tokens * rows];
        PackedKernels.linear(w, x, 0, expected, 0, tokens);
        Tensor tx = Tensor.of(be, x, tokens, cols), ty = Tensor.zeros(be, tokens, rows);
        be.packedLinear(w, tx, ty, tokens);
        float[] got = ty.toArray();
        float[] row = new float[cols];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < rows; i++) {
                w.rowAsFloats(i, row, 0);
                double scale = 0;
                for (int j = 0; j < cols; j++) scale += Math.abs((double) row[j] * x[t * cols + j]);
                double diff = Math.abs(got[t * rows + i] - expected[t * rows + i]);
                assertTrue(diff <= 1e-5 * scale, w.typeName() + " (" + rows + ", " + cols + ") token " + t + " row " + i + ": simd "
                        + got[t * rows + i] + " vs reference " + expected[t * rows + i] + ", off by " + diff + " > 1e-5 * " + scale);
            }
        }
    }

    @Test
    void float32AndBfloat16ProductsEqualTheReferenceAtAwkwardShapes() {
        Random r = new Random(11);
        try (SimdBackend be = new SimdBackend(2)) {
            for (int rows : AWKWARD) {
                for (int cols : AWKWARD) {
                    float[] w = gaussian(r, rows * cols);
                    for (int tokens : TOKENS) {
                        checkAgainstReference(new F32Matrix(w, rows, cols), tokens, r, be);
                        checkAgainstReference(Bf16Matrix.rounded(w, rows, cols), tokens, r, be);
                    }
                }
            }
        }
    }

    @Test
    void q8ProductsEqualTheReferenceAtAwkwardRowCountsAndBlockMultipleColumns() {
        Random r = new Random(12);
        try (SimdBackend be = new SimdBackend(2)) {
            for (int rows : AWKWARD) {
                for (int cols : Q8_COLS) {
                    Q8Matrix w = Q8Matrix.quantize(gaussian(r, rows * cols), rows, cols);
                    for (int tokens : TOKENS) checkAgainstReference(w, tokens, r, be);
                }
            }
        }
    }

    @Test
    void q8RefusesRowsThatAreNotWholeBlocksAsGgufDoes() {
        for (int cols : new int[] {1, 31, 33, 257}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Q8Matrix.quantize(new float[3 * cols], 3, cols));
            assertTrue(e.getMessage().contains("multiple of 32") && e.getMessage().contains(cols + " columns"), e.getMessage());
        }
    }

    @Test
    void attentionOverABfloat16CacheEqualsTheReferenceAtAwkwardHeadSizes() {
        Random r = new Random(14);
        try (SimdBackend be = new SimdBackend(2)) {
            for (int[] dims : new int[][] {{1, 1, 1, 1, 7}, {3, 20, 4, 2, 16}, {2, 33, 6, 3, 33}, {1, 200, 8, 2, 48}}) {
                int tq = dims[0], tk = dims[1], heads = dims[2], kvHeads = dims[3], hd = dims[4];
                float[] q = gaussian(r, tq * heads * hd);
                short[] keys = new short[tk * kvHeads * hd], values = new short[keys.length];
                for (int i = 0; i < keys.length; i++) {
                    keys[i] = Bf16Matrix.toBf16((float) r.nextGaussian());
                    values[i] = Bf16Matrix.toBf16((float) r.nextGaussian());
                }
                float[] expected = new float[q.length];
                PackedKernels.attentionBf16(q, 0, keys, values, expected, 0, tq, tk, heads, kvHeads, hd);
                Tensor out = Tensor.zeros(be, tq, heads, hd);
                be.attentionBf16Cache(Tensor.of(be, q, tq, heads, hd), keys, values, out, tq, tk, heads, kvHeads, hd);
                float[] got = out.toArray();
                for (int i = 0; i < got.length; i++) {
                    // outputs are weighted means of values of order 1: float32 arithmetic gives a few units of 2^-23
                    assertTrue(Math.abs(got[i] - expected[i]) <= 1e-5f, java.util.Arrays.toString(dims) + " element " + i + ": simd "
                            + got[i] + " vs reference " + expected[i]);
                }
            }
        }
    }

    @Test
    void aRowGivesTheSameBitsReadOneAtATimeOrInFours() {
        // rows of 4 KB and more go four at a time (the rows left over alone), shorter ones one at a time; the same row
        // at a row index inside a group of four and as the matrix's only row must give the same bits, and both the
        // reference's value within the tolerance
        Random r = new Random(14);
        int cols = 4096, rows = 7;
        float[] w = gaussian(r, rows * cols), x = gaussian(r, cols);
        try (SimdBackend be = new SimdBackend(2)) {
            for (PackedMatrix m : new PackedMatrix[] {new F32Matrix(w, rows, cols), Bf16Matrix.rounded(w, rows, cols), Q8Matrix.quantize(w, rows, cols)}) {
                assertTrue(SimdMatmul.rowsInFours(m.byteSize() / rows), m.typeName() + " rows of 4096 must go four at a time");
                Tensor all = Tensor.zeros(be, 1, rows);
                be.packedLinear(m, Tensor.of(be, x, 1, cols), all, 1);
                for (int row = 0; row < rows; row++) {
                    PackedMatrix one = m.rows(row, 1);
                    Tensor alone = Tensor.zeros(be, 1, 1);
                    be.packedLinear(one, Tensor.of(be, x, 1, cols), alone, 1);
                    assertEquals(Float.floatToRawIntBits(alone.toArray()[0]), Float.floatToRawIntBits(all.toArray()[row]),
                            m.typeName() + " row " + row + ": alone " + alone.toArray()[0] + ", among seven " + all.toArray()[row]);
                }
                checkAgainstReference(m, 1, r, be);
                checkAgainstReference(m, 3, r, be);
            }
        }
    }

    @Test
    void resultsAreBitIdenticalForOneAndTwoThreads() {
        Random r = new Random(13);
        int rows = 1000, cols = 288; // enough rows for several tasks
        float[] w = gaussian(r, rows * cols), x = gaussian(r, cols);
        for (PackedMatrix m : new PackedMatrix[] {new F32Matrix(w, rows, cols), Bf16Matrix.rounded(w, rows, cols), Q8Matrix.quantize(w, rows, cols)}) {
            float[][] y = new float[2][];
            for (int threads = 1; threads <= 2; threads++) {
                try (SimdBackend be = new SimdBackend(threads)) {
                    Tensor ty = Tensor.zeros(be, 1, rows);
                    be.packedLinear(m, Tensor.of(be, x, 1, cols), ty, 1);
                    y[threads - 1] = ty.toArray();
                }
            }
            assertArrayEquals(y[0], y[1], m.typeName() + ": 1 and 2 threads differ");
        }
    }
}
