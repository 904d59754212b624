package io.piece4j.bench;

import io.piece4j.backend.simd.SimdMatmul;
import io.piece4j.backend.simd.WorkerPool;
import io.piece4j.tensor.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * GFLOP/s of {@link SimdMatmul#matmul} called directly (no tensors, no backend), for tuning the kernel.
 * FLOPs = 2 m n k. Each shape is warmed up, then timed in several rounds of at least ROUND_SECONDS each;
 * the best and the median round are printed, because the machine is shared and a round can be slowed by
 * someone else's work.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... io.piece4j.bench.MatmulKernelMain [--threads T] [--rounds R]
 *      [MxNxK:layout ...]      layout: nn, nt (B stored transposed), tn, tt; default: a standard list
 * </pre>
 */
public final class MatmulKernelMain {
    private MatmulKernelMain() {}

    private static final double ROUND_SECONDS = 0.3;
    private static final double WARMUP_SECONDS = 1.0;

    /** One product to time: C (m, n) = op(A) (m, k) @ op(B) (k, n). */
    record Shape(int m, int n, int k, boolean transA, boolean transB) {
        static Shape parse(String spec) {
            String[] dimsAndLayout = spec.split(":");
            String[] d = dimsAndLayout[0].split("x");
            String layout = dimsAndLayout.length > 1 ? dimsAndLayout[1] : "nn";
            if (d.length != 3 || !layout.matches("[nt][nt]"))
                throw new IllegalArgumentException("shape must look like 1024x1024x1024:nt, got " + spec);
            return new Shape(Integer.parseInt(d[0]), Integer.parseInt(d[1]), Integer.parseInt(d[2]),
                    layout.charAt(0) == 't', layout.charAt(1) == 't');
        }

        String layout() { return (transA ? "t" : "n") + (transB ? "t" : "n"); }
    }

    static final List<String> DEFAULT_SHAPES = List.of(
            "256x256x256:nn", "512x512x512:nn", "1024x1024x1024:nn",
            "1024x1024x1024:nt", "1024x1024x1024:tn", "1024x1024x1024:tt",
            // the model's products: activations (B*T, dim) @ W^T, and token-by-token decoding x (1, dim) @ W^T
            "2048x768x288:nt", "288x768x2048:tn",
            "1x4096x4096:nt", "1x4096x4096:nn", "1x768x288:nt");

    public static void main(String[] args) {
        int threads = 2, rounds = 7;
        List<Shape> shapes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> shapes.add(Shape.parse(args[i]));
            }
        }
        if (shapes.isEmpty()) DEFAULT_SHAPES.forEach(s -> shapes.add(Shape.parse(s)));

        System.out.printf("threads %d, %d rounds of >= %.1f s each%n", threads, rounds, ROUND_SECONDS);
        System.out.printf("%-22s %8s %12s %12s %12s%n", "shape (m x n x k)", "layout", "best GF/s", "median GF/s", "median ms");
        try (WorkerPool pool = new WorkerPool(threads)) {
            for (Shape s : shapes) {
                double[] secondsPerCall = time(s, pool, rounds);
                Arrays.sort(secondsPerCall);
                double flops = 2.0 * s.m() * s.n() * s.k();
                double best = secondsPerCall[0], median = secondsPerCall[rounds / 2];
                System.out.printf("%-22s %8s %12.1f %12.1f %12.3f%n", s.m() + "x" + s.n() + "x" + s.k(), s.layout(),
                        flops / best / 1e9, flops / median / 1e9, median * 1e3);
            }
        }
    }

    /** Seconds per call in each of the rounds, after a warm-up long enough for C2 to compile the kernel. */
    private static double[] time(Shape s, WorkerPool pool, int rounds) {
        Rng rng = new Rng(7);
        float[] a = new float[s.m() * s.k()], b = new float[s.k() * s.n()], c = new float[s.m() * s.n()];
        for (int i = 0; i < a.length; i++) a[i] = rng.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = rng.nextFloat() - 0.5f;
        Runnable call = () -> SimdMatmul.matmul(a, 0, s.transA(), b, 0, s.transB(), c, 0, s.m(), s.n(), s.k(), false, pool);

        long calls = 0, start = System.nanoTime();
        while (System.nanoTime() - start < WARMUP_SECONDS * 1e9) { call.run(); calls++; }
        long callsPerRound = Math.max(1, (long) (calls * ROUND_SECONDS / WARMUP_SECONDS));

        double[] seconds = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (long i = 0; i < callsPerRound; i++) call.run();
            seconds[r] = (System.nanoTime() - t0) / 1e9 / callsPerRound;
        }
        return seconds;
    }
}
