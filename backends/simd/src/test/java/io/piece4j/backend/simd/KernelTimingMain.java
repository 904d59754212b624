package io.piece4j.backend.simd;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.RopeLayout;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Prints how long the SIMD kernels take against the reference at the shape of a stories15M training
 * step: batch 8, sequence 256, dim 288, 6 heads of 48, hidden 768. Not a test: it asserts nothing and CI
 * does not run it. Run with the test class path and --add-modules jdk.incubator.vector; the argument is
 * the number of timed repetitions (default 5), after as many warm-up runs; a second argument times only
 * the kernels whose name contains it.
 */
public final class KernelTimingMain {
    private KernelTimingMain() {}

    static final int BATCH = 8, SEQ = 256, DIM = 288, HEADS = 6, HEAD_DIM = DIM / HEADS, HIDDEN = 768, VOCAB = 32000;

    /** The tensors of one backend at that shape. */
    static final class Shapes {
        final Tensor x, w, y, rstd, dy, dx, dw, q, k, v, out, probs, dq, dk, dv, cos, sin, gate, up, hidden, logits, pLogits;

        Shapes(Backend b) {
            Random rng = new Random(1);
            int rows = BATCH * SEQ;
            x = t(b, rng, rows, DIM); w = t(b, rng, DIM); y = t(b, rng, rows, DIM); rstd = t(b, rng, rows);
            dy = t(b, rng, rows, DIM); dx = t(b, rng, rows, DIM); dw = t(b, rng, DIM);
            q = t(b, rng, BATCH, SEQ, HEADS, HEAD_DIM); k = t(b, rng, BATCH, SEQ, HEADS, HEAD_DIM); v = t(b, rng, BATCH, SEQ, HEADS, HEAD_DIM);
            out = t(b, rng, BATCH, SEQ, HEADS, HEAD_DIM); probs = Tensor.zeros(b, BATCH, HEADS, SEQ, SEQ);
            dq = t(b, rng, BATCH, SEQ, HEADS, HEAD_DIM); dk = t(b, rng, BATCH, SEQ, HEADS, HEAD_DIM); dv = t(b, rng, BATCH, SEQ, HEADS, HEAD_DIM);
            cos = t(b, rng, SEQ, HEAD_DIM / 2); sin = t(b, rng, SEQ, HEAD_DIM / 2);
            gate = t(b, rng, rows, HIDDEN); up = t(b, rng, rows, HIDDEN); hidden = t(b, rng, rows, HIDDEN);
            logits = t(b, rng, SEQ, VOCAB); pLogits = Tensor.zeros(b, SEQ, VOCAB);
            b.attention(q, k, v, out, probs, BATCH, SEQ, SEQ, SEQ, HEADS, HEADS, HEAD_DIM);
            b.rmsnorm(x, w, y, rstd, rows, DIM, 1e-5f);
        }

        private static Tensor t(Backend b, Random rng, int... shape) {
            float[] v = new float[Arrays.stream(shape).reduce(1, (p, s) -> p * s)];
            for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
            return Tensor.of(b, v, shape);
        }
    }

    record Kernel(String name, Consumer<Shapes> call) {}

    static final int ROWS = BATCH * SEQ;
    static final Kernel[] KERNELS = {
            new Kernel("attention forward", s -> s.x.backend().attention(s.q, s.k, s.v, s.out, s.probs, BATCH, SEQ, SEQ, SEQ, HEADS, HEADS, HEAD_DIM)),
            new Kernel("attention backward", s -> s.x.backend().attentionBackward(s.q, s.k, s.v, s.probs, s.out, s.dq, s.dk, s.dv, BATCH, SEQ, SEQ, HEADS, HEADS, HEAD_DIM)),
            new Kernel("rmsnorm forward", s -> s.x.backend().rmsnorm(s.x, s.w, s.y, s.rstd, ROWS, DIM, 1e-5f)),
            new Kernel("rmsnorm backward", s -> s.x.backend().rmsnormBackward(s.x, s.w, s.rstd, s.dy, s.dx, s.dw, ROWS, DIM)),
            new Kernel("rope (q)", s -> s.x.backend().rope(s.q, s.q, s.cos, s.sin, BATCH, SEQ, HEADS, HEAD_DIM, 0, RopeLayout.INTERLEAVED, false, false)),
            new Kernel("swiglu forward", s -> s.x.backend().swiglu(s.gate, s.up, s.hidden)),
            new Kernel("swiglu backward", s -> s.x.backend().swigluBackward(s.gate, s.up, s.hidden, s.gate, s.up)),
            new Kernel("cross-entropy (256 x 32000)", s -> s.x.backend().crossEntropy(s.logits, new int[SEQ], s.pLogits, SEQ, VOCAB)),
    };

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Backend[] backends = {new RefBackend(), new SimdBackend(1), new SimdBackend(2)};
        Shapes[] shapes = Arrays.stream(backends).map(Shapes::new).toArray(Shapes[]::new);
        System.out.println("stories15M shape, median of " + reps + " runs after " + reps + " warm-up runs; " + backends[2].description());
        System.out.printf("%-30s %12s %12s %12s %9s %9s%n", "kernel", "ref ms", "simd-1 ms", "simd-2 ms", "x (1 t)", "x (2 t)");
        for (Kernel kernel : KERNELS) {
            if (args.length > 1 && !kernel.name().contains(args[1])) continue;
            double[] ms = new double[backends.length];
            for (int i = 0; i < backends.length; i++) ms[i] = medianMillis(kernel, shapes[i], reps);
            System.out.printf("%-30s %12.2f %12.2f %12.2f %9.1f %9.1f%n", kernel.name(), ms[0], ms[1], ms[2], ms[0] / ms[1], ms[0] / ms[2]);
        }
        for (Backend b : backends) b.close();
    }

    static double medianMillis(Kernel kernel, Shapes s, int reps) {
        for (int i = 0; i < reps; i++) kernel.call().accept(s);
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            kernel.call().accept(s);
            t[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(t);
        return t[reps / 2];
    }
}
