package io.piece4j.distributed;

import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * What data-parallel training relies on in the simd backend: a weight gradient accumulated over two backward
 * passes is the float sum of each pass's gradient taken from zero, also when the kernel sums rows in several
 * blocks (1,500 rows: three of RMSNorm's blocks at 32 columns). The driver adds executors' gradients that way.
 */
class GradientAccumulationTest {
    static final int ROWS = 1500, COLS = 32, OUT = 24;

    private static Tensor random(Backend be, Rng rng, int... shape) { return Tensor.randn(be, rng, 1f, shape); }

    private static float[] floatSum(float[] a, float[] b) {
        float[] s = new float[a.length];
        for (int i = 0; i < a.length; i++) s[i] = a[i] + b[i];
        return s;
    }

    @Test
    void rmsnormGainGradientAccumulatesAsTheFloatSumOfEachPass() {
        try (Backend be = Backends.create("simd", 2)) {
            Rng rng = new Rng(41);
            Tensor x = random(be, rng, ROWS, COLS), w = random(be, rng, COLS), dy1 = random(be, rng, ROWS, COLS), dy2 = random(be, rng, ROWS, COLS);
            Tensor y = Tensor.zeros(be, ROWS, COLS), rstd = Tensor.zeros(be, ROWS);
            be.rmsnorm(x, w, y, rstd, ROWS, COLS, 1e-5f);
            Tensor accumulated = Tensor.zeros(be, COLS), g1 = Tensor.zeros(be, COLS), g2 = Tensor.zeros(be, COLS);
            be.rmsnormBackward(x, w, rstd, dy1, Tensor.zeros(be, ROWS, COLS), accumulated, ROWS, COLS);
            be.rmsnormBackward(x, w, rstd, dy2, Tensor.zeros(be, ROWS, COLS), accumulated, ROWS, COLS);
            be.rmsnormBackward(x, w, rstd, dy1, Tensor.zeros(be, ROWS, COLS), g1, ROWS, COLS);
            be.rmsnormBackward(x, w, rstd, dy2, Tensor.zeros(be, ROWS, COLS), g2, ROWS, COLS);
            assertArrayEquals(floatSum(g1.toArray(), g2.toArray()), accumulated.toArray(), "gain gradient accumulated over two passes");
        }
    }

    @Test
    void sampledWeightGradientAccumulatesAsTheFloatSumOfEachPass() {
        try (Backend be = Backends.create("simd", 2)) {
            Rng rng = new Rng(43);
            Tensor x = random(be, rng, ROWS, COLS), dy1 = random(be, rng, ROWS, OUT), dy2 = random(be, rng, ROWS, OUT);
            int[] idx = {0, 5, 33, 100, 101, 102, 400, OUT * COLS - 1};
            Tensor accumulated = Tensor.zeros(be, OUT, COLS), g1 = Tensor.zeros(be, OUT, COLS), g2 = Tensor.zeros(be, OUT, COLS);
            be.sampledMatmul(dy1, x, idx, accumulated, ROWS, OUT, COLS);
            be.sampledMatmul(dy2, x, idx, accumulated, ROWS, OUT, COLS);
            be.sampledMatmul(dy1, x, idx, g1, ROWS, OUT, COLS);
            be.sampledMatmul(dy2, x, idx, g2, ROWS, OUT, COLS);
            assertArrayEquals(floatSum(g1.toArray(), g2.toArray()), accumulated.toArray(), "sampled weight gradient accumulated over two passes");
        }
    }
}
