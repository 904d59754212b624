package io.piece4j.backend.simd;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.Storage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs one kernel call on the reference backend and on the SIMD backend with 1, 2 and 3 threads, then
 * checks that (a) every SIMD output is within {@code |simd - ref| <= rel * scale + ABS} of the reference,
 * scale being the largest |ref| of that output ({@link #check}) or |ref| of the element itself
 * ({@link #checkEachRelative}, for outputs spanning many magnitudes), (b) the three SIMD runs agree bit for bit, and (c) no
 * kernel wrote outside its tensors: every tensor sits at an offset inside a larger storage whose margins
 * hold a sentinel that must survive.
 */
final class KernelCheck {
    private KernelCheck() {}

    static final int[] THREADS = {1, 2, 3};
    /** The absolute part of every tolerance. */
    static final double ABS = 1e-6;
    /** The relative part: float32 sums of up to a few hundred terms stay within about 2e-6 of the double reference. */
    static final double REL = 1e-5;

    private static final int MARGIN = 5;
    private static final float SENTINEL = 12345.75f;

    /** Backends shared by all tests (their pool threads are daemons). */
    private static final RefBackend REF = new RefBackend();
    private static final SimdBackend[] SIMD = {new SimdBackend(THREADS[0]), new SimdBackend(THREADS[1]), new SimdBackend(THREADS[2])};

    static SimdBackend simd(int threads) {
        for (SimdBackend b : SIMD) if (b.threads() == threads) return b;
        throw new IllegalArgumentException("no shared simd backend with " + threads + " threads");
    }

    /** One kernel call, written once and run on each backend. */
    interface Call {
        void run(Tensors t);
    }

    /** The tensors of one run, each placed with margins; outputs and scalar results are read back by name. */
    static final class Tensors {
        final Backend backend;
        private final Map<String, Tensor> outputs = new LinkedHashMap<>();
        private final List<Tensor> all = new ArrayList<>();
        private final Map<String, Double> scalars = new LinkedHashMap<>();

        Tensors(Backend backend) { this.backend = backend; }

        /** An input tensor holding values. */
        Tensor in(float[] values, int... shape) {
            Storage s = backend.allocate(values.length + 2L * MARGIN);
            backend.fill(s, 0, s.size(), SENTINEL);
            Tensor t = Tensor.view(s, MARGIN, shape).copyFrom(values);
            all.add(t);
            return t;
        }

        /** An output tensor starting from initial values (kernels that accumulate add into them). */
        Tensor out(String name, float[] initial, int... shape) {
            Tensor t = in(initial, shape);
            outputs.put(name, t);
            return t;
        }

        /** A scalar a kernel returned. */
        void result(String name, double value) { scalars.put(name, value); }

        Map<String, double[]> read() {
            for (Tensor t : all) {
                float[] whole = new float[t.size() + 2 * MARGIN];
                backend.read(t.storage(), 0, whole, 0, whole.length);
                for (int i = 0; i < whole.length; i++) {
                    boolean margin = i < MARGIN || i >= MARGIN + t.size();
                    if (margin && whole[i] != SENTINEL) {
                        fail(backend.name() + " wrote " + whole[i] + " outside a tensor of " + t.size()
                                + " elements, at " + (i < MARGIN ? i - MARGIN : i - MARGIN - t.size()) + " past its "
                                + (i < MARGIN ? "start" : "end"));
                    }
                }
            }
            Map<String, double[]> out = new LinkedHashMap<>();
            outputs.forEach((name, t) -> {
                float[] f = t.toArray();
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) d[i] = f[i];
                out.put(name, d);
            });
            scalars.forEach((name, v) -> out.put(name, new double[]{v}));
            return out;
        }
    }

    static Map<String, double[]> runOn(Backend backend, Call call) {
        Tensors t = new Tensors(backend);
        call.run(t);
        return t.read();
    }

    /** Checks the call with tolerance {@link #REL} * (largest |ref| of each output) + {@link #ABS}. */
    static void check(String what, Call call) {
        check(what, REL, false, call);
    }

    /** Checks the call with tolerance rel * |ref| + {@link #ABS} for each element. */
    static void checkEachRelative(String what, double rel, Call call) {
        check(what, rel, true, call);
    }

    private static void check(String what, double rel, boolean eachRelative, Call call) {
        Map<String, double[]> expected = runOn(REF, call);
        Map<String, double[]> first = null;
        for (SimdBackend simd : SIMD) {
            Map<String, double[]> got = runOn(simd, call);
            if (first == null) {
                assertClose(what, expected, got, rel, eachRelative);
                first = got;
            } else {
                assertBitIdentical(what, first, got, simd.threads());
            }
        }
    }

    private static void assertClose(String what, Map<String, double[]> expected, Map<String, double[]> got, double rel,
                                    boolean eachRelative) {
        expected.forEach((name, ref) -> {
            double[] simd = got.get(name);
            double maxAbs = 0;
            for (double v : ref) if (Double.isFinite(v)) maxAbs = Math.max(maxAbs, Math.abs(v));
            for (int i = 0; i < ref.length; i++) {
                double scale = eachRelative ? Math.abs(ref[i]) : maxAbs;
                double tol = rel * scale + ABS;
                boolean same = Double.isNaN(ref[i]) ? Double.isNaN(simd[i])
                        : Double.isInfinite(ref[i]) ? ref[i] == simd[i]
                        : Math.abs(simd[i] - ref[i]) <= tol;
                if (!same) {
                    fail(String.format("%s: %s[%d] is %.9g on simd, %.9g on ref: |diff| %.3g > tolerance %.3g (= %.0e * scale %.4g + %.0e)",
                            what, name, i, simd[i], ref[i], Math.abs(simd[i] - ref[i]), tol, rel, scale, ABS));
                }
            }
        });
    }

    private static void assertBitIdentical(String what, Map<String, double[]> oneThread, Map<String, double[]> got, int threads) {
        oneThread.forEach((name, a) -> {
            double[] b = got.get(name);
            for (int i = 0; i < a.length; i++) {
                if (Double.doubleToLongBits(a[i]) != Double.doubleToLongBits(b[i])) {
                    fail(String.format("%s: %s[%d] is %.9g with %d threads but %.9g with 1 thread (diff %.3g): not bit-identical",
                            what, name, i, b[i], threads, a[i], b[i] - a[i]));
                }
            }
        });
    }

    // ---------------------------------------------------------------- inputs

    static float[] gaussian(Random rng, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (rng.nextGaussian() * std);
        return v;
    }

    static float[] uniform(Random rng, int n, double lo, double hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return v;
    }

    /** Magnitudes in [lo, hi) with random signs: safe divisors. */
    static float[] awayFromZero(Random rng, int n, double lo, double hi) {
        float[] v = uniform(rng, n, lo, hi);
        for (int i = 0; i < n; i++) if (rng.nextBoolean()) v[i] = -v[i];
        return v;
    }
}
