package io.piece4j.bench;

import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

import java.util.Arrays;

/**
 * GFLOP/s of C (n, n) = op(A) @ op(B) through a backend's SPI, timed as the OpenBLAS reference program
 * times itself, ROUNDS rounds of at least 0.3 s each, the median round counting (GFLOP/s = 2 n^3 / seconds
 * per call), after WARMUP_SECONDS of warm-up (at least two calls). The reference warms up for a second; a
 * JVM needs longer: with both cores busy in the product, C2 got the 12-row micro-kernel compiled only after
 * the first second, and the first shape of a run then timed 132 GFLOP/s against 308 warm (JMH).
 */
final class MatmulTiming {
    static final int ROUNDS = 7;
    static final double WARMUP_SECONDS = 3;

    private MatmulTiming() {}

    static double medianGflops(String backend, int threads, int n, String layout) {
        boolean ta = layout.charAt(0) == 't', tb = layout.charAt(1) == 't';
        try (Backend be = Backends.create(backend, threads)) {
            Rng rng = new Rng(7);
            Tensor a = Tensor.randn(be, rng, 1f, n, n), b = Tensor.randn(be, rng, 1f, n, n), c = Tensor.zeros(be, n, n);
            Runnable call = () -> be.matmul(a, ta, b, tb, c, 1, n, n, n, 0, false);
            long calls = 0, start = System.nanoTime();
            while (calls < 2 || System.nanoTime() - start < WARMUP_SECONDS * 1e9) { call.run(); calls++; }
            double secondsPerCall = (System.nanoTime() - start) / 1e9 / calls;
            long perRound = Math.max(1, (long) (0.3 / secondsPerCall));
            double[] seconds = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                long t0 = System.nanoTime();
                for (long i = 0; i < perRound; i++) call.run();
                seconds[r] = (System.nanoTime() - t0) / 1e9 / perRound;
            }
            Arrays.sort(seconds);
            return 2.0 * n * n * (double) n / seconds[ROUNDS / 2] / 1e9;
        }
    }
}
