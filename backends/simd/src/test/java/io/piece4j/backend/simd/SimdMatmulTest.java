package io.piece4j.backend.simd;

import io.piece4j.tensor.Rng;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packed Vector API matmul against a naive double-accumulated triple loop at shapes that are not
 * multiples of the vector width or the tile sizes, all four transpose layouts, accumulate on and off,
 * non-zero offsets. Tolerance per element: 1e-5 * sum_p |A(i,p) B(p,j)| + 1e-6 (float32 rounding of a
 * length-k sum grows with the sum of magnitudes). Also bit-identical results for 1, 2 and 3 threads.
 */
class SimdMatmulTest {
    private static final int[] DIMS = {1, 7, 16, 33, 65, 257};

    private static float[] random(Rng rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rng.nextFloat() * 2 - 1;
        return v;
    }

    @Test
    void matchesNaiveProductAtAwkwardShapes() {
        Rng rng = new Rng(1);
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int m : DIMS) for (int n : DIMS) for (int k : DIMS) {
                if (m * n * k > 257 * 65 * 33) continue; // keep the naive loop fast
                for (int layout = 0; layout < 4; layout++) {
                    boolean ta = (layout & 1) != 0, tb = (layout & 2) != 0, acc = ((m + n + k + layout) & 1) == 0;
                    float[] a = random(rng, m * k + 3), b = random(rng, k * n + 5), c = random(rng, m * n + 2);
                    float[] c0 = c.clone();
                    SimdMatmul.matmul(a, 3, ta, b, 5, tb, c, 2, m, n, k, acc, pool);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double want = acc ? c0[2 + i * n + j] : 0, mag = 0;
                            for (int p = 0; p < k; p++) {
                                double av = ta ? a[3 + p * m + i] : a[3 + i * k + p];
                                double bv = tb ? b[5 + j * k + p] : b[5 + p * n + j];
                                want += av * bv;
                                mag += Math.abs(av * bv);
                            }
                            double got = c[2 + i * n + j], tol = 1e-5 * mag + 1e-6;
                            int ii = i, jj = j;
                            double w = want;
                            assertTrue(Math.abs(got - want) <= tol, () -> "m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb
                                    + " acc=" + acc + ": C[" + ii + "][" + jj + "] = " + got + ", naive " + w + " (tolerance " + tol + ")");
                        }
                    }
                    assertTrue(c[0] == c0[0] && c[1] == c0[1], "elements before the offset must be untouched");
                }
            }
        }
    }

    @Test
    void resultIsBitIdenticalForAnyThreadCount() {
        Rng rng = new Rng(2);
        int m = 301, n = 77, k = 530;
        float[] a = random(rng, m * k), b = random(rng, k * n);
        for (int layout = 0; layout < 4; layout++) {
            boolean ta = (layout & 1) != 0, tb = (layout & 2) != 0;
            float[] first = null;
            for (int threads : new int[] {1, 2, 3}) {
                float[] c = new float[m * n];
                try (WorkerPool pool = new WorkerPool(threads)) {
                    SimdMatmul.matmul(a, 0, ta, b, 0, tb, c, 0, m, n, k, false, pool);
                }
                if (first == null) first = c;
                else assertArrayEquals(first, c, "layout " + layout + ": " + threads + " threads differ from 1 thread");
            }
        }
    }
}
