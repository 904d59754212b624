package io.piece4j.tests;

import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.CpuBackend;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BackendProvider;
import io.piece4j.tensor.spi.Bf16Matrix;
import io.piece4j.tensor.spi.BinaryOp;
import io.piece4j.tensor.spi.F32Matrix;
import io.piece4j.tensor.spi.PackedMatrix;
import io.piece4j.tensor.spi.Q8Matrix;
import io.piece4j.tensor.spi.RopeLayout;
import io.piece4j.tensor.spi.UnaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every kernel of every backend other than {@code ref} against {@code ref} (the reference: scalar loops
 * accumulating in double) on the same inputs, at sizes that are not multiples of any vector width (1, 7, 33, 65, 257),
 * GQA ratios 1, 2 and 4, both RoPE layouts; and every kernel bit-identical for 1, 2 and 3 threads.
 *
 * <p>Which backends: those named in the system property {@code piece.expect.backends} (a comma list; the
 * tests module's surefire configuration sets it, {@code simd} by default, and CI adds others where their
 * runtime is installed) must be present and available, or these tests fail; any other available backend is
 * tested too. A kernel a backend inherits unchanged from the shared scalar code ({@link CpuBackend}) is the
 * reference's own code and is not compared; {@link #simdInheritsExactlyTheseKernels} names them for simd.
 *
 * <p>Tolerances are in units of float32 epsilon (2^-23) times a scale, and are stated multiples of the
 * error measured on simd (AVX-512, 16 lanes; {@code -Dpiece.conformance.report=true} prints the worst
 * ratio per kernel). The scale is one of:
 * <ul>
 *   <li>MAX: the largest |ref| of the compared tensor (outputs whose elements may cancel to 0);</li>
 *   <li>ELEMENT: each element's own |ref| (outputs computed without cancellation: softmax, exp, sqrt);</li>
 *   <li>INCREMENT: for kernels that add into their output, the largest |ref increment|, so a small update to a
 *       large buffer is checked on the update itself; one float32 ulp of the result is allowed on top for
 *       the final rounding of buffer + increment.</li>
 * </ul>
 */
class BackendConformanceTest {
    private static final double EPS = 0x1p-23;
    private static final int[] SIZES = {1, 7, 33, 65, 257};
    private static final Backend REF = new RefBackend();
    private static final List<Backend> OPEN = new ArrayList<>();
    /** -Dpiece.conformance.report=true: measure and print the worst error ratio of every kernel instead of failing on it. */
    private static final boolean REPORT = Boolean.getBoolean("piece.conformance.report");
    private static final Map<String, Double> WORST = new LinkedHashMap<>(); // "backend kernel" -> worst error ratio
    private static final Map<String, String> WORST_CASE = new LinkedHashMap<>(); // "backend kernel" -> the case that gave it

    /**
     * The largest allowed error ratio per kernel: 4 x the worst measured on simd over every case of this class at 16, 8
     * and 4 lanes ({@code -Dpiece.simd.species=512|256|128}), and never below 4. Measured worst (any width):
     * unary 0.96, binary 0 (exact), binaryBackward 1.43, addScaled 0, matmul 3.69, softmax 6.28, softmaxBackward 1.47,
     * rmsnorm 1.21, rmsnormBackward 1.20, rope 0.81, attention 3.56, attentionBackward 16.5, swiglu 0.82,
     * swigluBackward 0.40, crossEntropy 5.94, crossEntropyBackward 0, adamw 0.60, maskedAdamw 1.10, sampledMatmul 0.90.
     * The kernels simd inherits are ref's own code and agree bit for bit; for other backends they get 4, or 16 where
     * they sum up to 257 terms (a float32 sum's error grows with its length).
     */
    private static final Map<String, Double> LIMITS = Map.ofEntries(
            Map.entry("unary", 4.0), Map.entry("binary", 4.0), Map.entry("binaryBackward", 6.0), Map.entry("addScaled", 4.0),
            Map.entry("matmul", 15.0), Map.entry("softmax", 26.0), Map.entry("softmaxBackward", 6.0), Map.entry("rmsnorm", 5.0),
            Map.entry("rmsnormBackward", 5.0), Map.entry("rope", 4.0), Map.entry("attention", 15.0),
            Map.entry("attentionBackward", 66.0), Map.entry("swiglu", 4.0), Map.entry("swigluBackward", 4.0),
            Map.entry("crossEntropy", 24.0), Map.entry("crossEntropyBackward", 4.0), Map.entry("adamw", 4.0),
            Map.entry("maskedAdamw", 5.0), Map.entry("sampledMatmul", 4.0),
            // the compact-gradient kernels do the arithmetic of the two above
            Map.entry("maskedAdamwCompact", 5.0), Map.entry("sampledMatmulCompact", 4.0),
            // inherited by simd (not measured there)
            Map.entry("unaryBackward", 4.0), Map.entry("broadcastAxis", 4.0), Map.entry("embedding", 4.0),
            Map.entry("accumulateMoments", 4.0), Map.entry("sumOfSquares", 16.0), Map.entry("sumAxis", 16.0),
            Map.entry("embeddingBackward", 16.0), Map.entry("sumOfSquaresAt", 16.0),
            // decoding with packed weights and a bf16 KV cache (simd measured worst: packedLinear 5.41, at bf16 1x64;
            // attentionBf16Cache 2.66); backends without their own run the reference kernels on the host, which is exact
            Map.entry("packedLinear", 22.0), Map.entry("attentionBf16Cache", 11.0),
            // decoding's cache with transposed keys: attention's arithmetic (simd: the same bits as its attention), and a copy
            Map.entry("attentionKeysTransposed", 15.0), Map.entry("writeKeysTransposed", 4.0),
            // the backward without kept weights: attention's forward again, then attentionBackward's arithmetic
            Map.entry("attentionBackwardRecomputed", 66.0));

    /** The backend methods that are not kernels: identity and memory. */
    private static final Set<String> NOT_KERNELS = Set.of("name", "description", "threads", "precision", "allocate", "write",
            "read", "writeDouble", "readDouble", "copy", "fill", "close", "prefersTransposedKeys");

    // ---------------------------------------------------------------- which backends

    static Stream<String> subjects() { return TestBackends.subjects(); }

    private static Backend open(String name) {
        Backend be = Backends.create(name, 2);
        OPEN.add(be);
        return be;
    }

    @AfterAll
    static void closeAllAndReport() {
        OPEN.forEach(Backend::close);
        if (REPORT) {
            WORST.forEach((k, v) -> System.out.printf("conformance worst error %-28s %10.3f x eps x scale, %s%n", k, v,
                    WORST_CASE.get(k)));
        }
    }

    @Test
    void everyExpectedBackendIsPresentAndAvailable() {
        Set<String> expected = TestBackends.expected();
        assertTrue(!expected.isEmpty(), "piece.expect.backends is not set: the tests module's surefire configuration names simd and ejml at least");
        for (String name : expected) {
            BackendProvider p = Backends.providers().stream().filter(q -> q.name().equals(name)).findFirst().orElse(null);
            assertTrue(p != null, "expected backend '" + name + "' is not on the test class path; found: " + Backends.describe(Backends.providers()));
            assertTrue(p.isAvailable(), "expected backend '" + name + "' is not available: " + p.unavailableReason());
        }
    }

    /** The kernels of the SPI: every Backend method but identity and memory. */
    static List<Method> kernels() {
        return Arrays.stream(Backend.class.getMethods()).filter(m -> !NOT_KERNELS.contains(m.getName()))
                .sorted((a, b) -> a.getName().compareTo(b.getName())).toList();
    }

    /** Whether the backend has its own implementation of a kernel, rather than the shared scalar one of CpuBackend. */
    static boolean ownsKernel(Backend be, String kernel) {
        Method m = kernels().stream().filter(k -> k.getName().equals(kernel)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no kernel named " + kernel));
        try {
            return be.getClass().getMethod(kernel, m.getParameterTypes()).getDeclaringClass() != CpuBackend.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The simd backend runs these kernels with the shared scalar code of CpuBackend (the reference's own
     * loops, in float32 storage), so comparing them with ref would compare that code with itself; they are
     * skipped in the comparisons. A kernel that gains a Vector API version must leave this list, and is
     * then compared.
     */
    @Test
    void simdInheritsExactlyTheseKernels() {
        try (Backend simd = Backends.create("simd", 1)) {
            Set<String> inherited = kernels().stream().map(Method::getName).filter(k -> !ownsKernel(simd, k))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals(new TreeSet<>(List.of("accumulateMoments", "broadcastAxis", "embedding", "embeddingBackward", "sumAxis",
                    "sumOfSquares", "sumOfSquaresAt", "unaryBackward")), inherited, "kernels simd inherits from CpuBackend");
        }
    }

    // ---------------------------------------------------------------- the comparison machinery

    private enum Scale { MAX, ELEMENT, INCREMENT, GIVEN }

    /** One compared output: the index of the tensor and how its error is scaled (GIVEN: by `given`, an increment's term size). */
    private record Check(int output, Scale scale, double given) {}

    private static Check max(int output) { return new Check(output, Scale.MAX, 0); }
    private static Check element(int output) { return new Check(output, Scale.ELEMENT, 0); }
    private static Check increment(int output) { return new Check(output, Scale.INCREMENT, 0); }
    /**
     * An increment whose terms may cancel (rmsnorm's dx over one column is eps / (x^2 + eps) of its terms): scaled by the
     * larger of the largest increment and the given size of a term.
     */
    private static Check incrementOfTerms(int output, double termScale) { return new Check(output, Scale.GIVEN, termScale); }

    /** Inputs created identically on the backend under test and on ref. */
    private record Inputs(float[][] data, int[][] shapes) {
        Tensor[] on(Backend be) {
            Tensor[] t = new Tensor[data.length];
            for (int i = 0; i < t.length; i++) t[i] = Tensor.of(be, data[i], shapes[i]);
            return t;
        }

        /** Replaces input i by the given values (an output of ref, as a backward's saved forward result). */
        Inputs with(int i, float[] values) {
            data[i] = values.clone();
            return this;
        }
    }

    private static float[] random(Rng rng, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * rng.nextFloat();
        return v;
    }

    private static Inputs inputs(Rng rng, float lo, float hi, int[]... shapes) {
        float[][] d = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            int n = 1;
            for (int s : shapes[i]) n *= s;
            d[i] = random(rng, n, lo, hi);
        }
        return new Inputs(d, shapes);
    }

    /** Runs a kernel on ref alone and returns input tensor `output` afterwards (to feed a backward). */
    private static float[] onRef(Inputs in, Function<Tensor[], Object> kernel, int output) {
        Tensor[] t = in.on(REF);
        kernel.apply(t);
        return t[output].toArray();
    }

    /**
     * Runs one kernel on the backend and on ref over the same inputs and checks the named outputs (indices into
     * the inputs, which kernels write or add into) and the returned scalar, if any, against ref's. A kernel the
     * backend inherits from CpuBackend is skipped (it is ref's own code).
     */
    private static void compare(String kernel, String what, Backend be, Inputs in, Function<Tensor[], Object> run, Check... checks) {
        if (!ownsKernel(be, kernel)) return;
        double limit = LIMITS.get(kernel);
        Tensor[] mine = in.on(be), ref = in.on(REF);
        Object a = run.apply(mine), b = run.apply(ref);
        String label = be.name() + " " + what;
        if (a instanceof Double x && b instanceof Double y) {
            double ratio = x.equals(y) ? 0 : Math.abs(x - y) / (EPS * Math.abs(y));
            remember(be, kernel, ratio, limit, label + " result");
            if (!REPORT) assertTrue(ratio <= limit, () -> label + ": result " + x + ", ref " + y + " (error " + Math.abs(x - y) + " = "
                    + ratio + " x eps x |ref|, limit " + limit + ")");
        }
        for (Check c : checks) {
            float[] got = mine[c.output].toArray(), before = in.data[c.output];
            double[] want = ref[c.output].toDoubleArray();
            check(be, kernel, label + " output #" + c.output, c, limit, got, want, before);
        }
    }

    private static void remember(Backend be, String kernel, double ratio, double limit, String what) {
        String key = be.name() + " " + kernel;
        double r = Double.isNaN(ratio) ? Double.POSITIVE_INFINITY : ratio;
        if (!WORST.containsKey(key) || r > WORST.get(key)) {
            WORST.put(key, r);
            WORST_CASE.put(key, String.format("limit %.1f, in %s", limit, what));
        }
    }

    private static void check(Backend be, String kernel, String what, Check c, double limit, float[] got, double[] want, float[] before) {
        assertEquals(want.length, got.length, what + ": length");
        double scale = 0;
        for (int i = 0; i < want.length; i++) {
            boolean increment = c.scale == Scale.INCREMENT || c.scale == Scale.GIVEN;
            scale = Math.max(scale, Math.abs(increment ? want[i] - before[i] : want[i]));
        }
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < got.length; i++) {
            double err = Math.abs(got[i] - want[i]);
            if (c.scale == Scale.INCREMENT || c.scale == Scale.GIVEN) err = Math.max(0, err - Math.ulp((float) want[i]));
            double s = c.scale == Scale.ELEMENT ? Math.abs(want[i]) : c.scale == Scale.GIVEN ? Math.max(c.given, scale) : scale;
            double ratio = err == 0 ? 0 : s == 0 || Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / (EPS * s);
            if (ratio > worst || worstAt < 0) { worst = ratio; worstAt = i; }
        }
        remember(be, kernel, worst, limit, what);
        if (!REPORT && !(worst <= limit)) {
            int i = worstAt;
            double s = c.scale == Scale.ELEMENT ? Math.abs(want[i]) : c.scale == Scale.GIVEN ? Math.max(c.given, scale) : scale;
            fail(what + ": element " + i + " is " + got[i] + ", ref " + want[i] + (c.scale == Scale.INCREMENT || c.scale == Scale.GIVEN ? " (before " + before[i] + ")" : "")
                    + ": error " + Math.abs(got[i] - want[i]) + " = " + worst + " x eps x " + c.scale + " scale " + s
                    + ", limit " + limit);
        }
    }

    // ---------------------------------------------------------------- elementwise

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void unaryAndBackward(String name) {
        Backend be = open(name);
        Rng rng = new Rng(1);
        for (int n : SIZES) {
            for (UnaryOp op : UnaryOp.values()) {
                boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT;
                Inputs in = inputs(rng, positive ? 0.1f : -4f, 4f, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n});
                Function<Tensor[], Object> forward = t -> { t[0].backend().unary(op, t[0], t[1]); return null; };
                // LOG and SILU cross zero inside the range, the others keep each element's relative error
                Check out = op == UnaryOp.LOG || op == UnaryOp.SILU ? max(1) : element(1);
                compare("unary", op + " n=" + n, be, in, forward, out);
                in.with(1, onRef(in, forward, 1));
                compare("unaryBackward", op + " backward n=" + n, be, in,
                        t -> { t[0].backend().unaryBackward(op, t[0], t[1], t[2], t[3]); return null; }, increment(3));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void binaryWithBroadcastAndBackward(String name) {
        Backend be = open(name);
        Rng rng = new Rng(2);
        for (int rows : new int[] {1, 7}) {
            for (int cols : SIZES) {
                for (int bn : new int[] {rows * cols, cols, 1}) {
                    for (BinaryOp op : BinaryOp.values()) {
                        Inputs in = inputs(rng, 0.5f, 2f, new int[] {rows, cols}, new int[] {bn}, new int[] {rows, cols},
                                new int[] {rows, cols}, new int[] {rows, cols}, new int[] {bn});
                        String what = op + " " + rows + "x" + cols + " b=" + bn;
                        compare("binary", what, be, in, t -> { t[0].backend().binary(op, t[0], t[1], t[2]); return null; }, max(2));
                        // db sums over the rows b was broadcast to
                        compare("binaryBackward", what + " backward", be, in, t -> {
                            t[0].backend().binaryBackward(op, t[0], t[1], t[3], t[4], t[5]);
                            return null;
                        }, increment(4), increment(5));
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void addScaledSumOfSquaresAndAxisSums(String name) {
        Backend be = open(name);
        Rng rng = new Rng(3);
        for (int n : SIZES) {
            Inputs in = inputs(rng, -1, 1, new int[] {n}, new int[] {n});
            compare("addScaled", "addScaled n=" + n, be, in, t -> { t[0].backend().addScaled(t[0], t[1], -0.37f); return null; },
                    increment(0));
            compare("sumOfSquares", "sumOfSquares n=" + n, be, in, t -> t[0].backend().sumOfSquares(t[0]));
            for (int[] oni : new int[][] {{1, n, 3}, {7, n, 1}, {3, 5, n}}) {
                int o = oni[0], m = oni[1], i = oni[2];
                Inputs s = inputs(rng, -1, 1, new int[] {o * m * i}, new int[] {o * i}, new int[] {o * i}, new int[] {o * m * i});
                compare("sumAxis", "sumAxis " + o + "x" + m + "x" + i, be, s,
                        t -> { t[0].backend().sumAxis(t[0], t[1], o, m, i, 0.5f, true); return null; }, increment(1));
                compare("broadcastAxis", "broadcastAxis " + o + "x" + m + "x" + i, be, s,
                        t -> { t[0].backend().broadcastAxis(t[2], t[3], o, m, i, 0.5f); return null; }, increment(3));
            }
        }
    }

    // ---------------------------------------------------------------- matrix products

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void matmulAllTransposesAccumulateAndBatch(String name) {
        Backend be = open(name);
        Rng rng = new Rng(4);
        int[][] shapes = {{1, 1, 1}, {1, 257, 65}, {7, 33, 65}, {65, 7, 257}, {33, 65, 7}, {257, 1, 33}, {64, 48, 80}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (boolean acc : new boolean[] {false, true}) {
                        Inputs in = inputs(rng, -1, 1, new int[] {m * k}, new int[] {k * n}, new int[] {m * n});
                        compare("matmul", "matmul " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " acc=" + acc, be, in,
                                t -> { t[0].backend().matmul(t[0], ta, t[1], tb, t[2], 1, m, n, k, 0, acc); return null; },
                                acc ? increment(2) : max(2));
                    }
                }
            }
        }
        for (long strideB : new long[] {0, 7 * 33}) {
            Inputs in = inputs(rng, -1, 1, new int[] {3 * 5 * 7}, new int[] {3 * 7 * 33}, new int[] {3 * 5 * 33});
            compare("matmul", "batched matmul strideB=" + strideB, be, in,
                    t -> { t[0].backend().matmul(t[0], false, t[1], false, t[2], 3, 5, 33, 7, strideB, false); return null; },
                    max(2));
        }
    }

    // ---------------------------------------------------------------- transformer kernels

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void softmaxAndRmsnormWithBackward(String name) {
        Backend be = open(name);
        Rng rng = new Rng(5);
        for (int rows : new int[] {1, 7, 33}) {
            for (int cols : SIZES) {
                Inputs sm = inputs(rng, -5, 5, new int[] {rows, cols}, new int[] {rows, cols}, new int[] {rows, cols}, new int[] {rows, cols});
                Function<Tensor[], Object> softmax = t -> { t[0].backend().softmax(t[0], t[1], rows, cols); return null; };
                // each probability to a few ulps of itself: exp's error plus the row sum's
                compare("softmax", "softmax " + rows + "x" + cols, be, sm, softmax, element(1));
                sm.with(1, onRef(sm, softmax, 1));
                compare("softmaxBackward", "softmaxBackward " + rows + "x" + cols, be, sm,
                        t -> { t[0].backend().softmaxBackward(t[1], t[2], t[3], rows, cols); return null; }, increment(3));

                Inputs rn = inputs(rng, -2, 2, new int[] {rows, cols}, new int[] {cols}, new int[] {rows, cols}, new int[] {rows},
                        new int[] {rows, cols}, new int[] {rows, cols}, new int[] {cols});
                Function<Tensor[], Object> rmsnorm = t -> { t[0].backend().rmsnorm(t[0], t[1], t[2], t[3], rows, cols, 1e-5f); return null; };
                compare("rmsnorm", "rmsnorm " + rows + "x" + cols, be, rn, rmsnorm, max(2), element(3));
                rn.with(3, onRef(rn, rmsnorm, 3));
                double terms = 0; // the largest rstd * |w dy|, a term of dx
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < cols; j++) terms = Math.max(terms, Math.abs(rn.data[3][r] * rn.data[1][j] * rn.data[4][r * cols + j]));
                }
                compare("rmsnormBackward", "rmsnormBackward " + rows + "x" + cols, be, rn, t -> {
                    t[0].backend().rmsnormBackward(t[0], t[1], t[3], t[4], t[5], t[6], rows, cols);
                    return null;
                }, incrementOfTerms(5, terms), increment(6));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void ropeBothLayoutsForwardInverseAccumulate(String name) {
        Backend be = open(name);
        Rng rng = new Rng(6);
        for (RopeLayout layout : RopeLayout.values()) {
            for (int hd : new int[] {2, 8, 66}) {
                int batch = 2, seq = 7, heads = 3, maxSeq = 16, half = hd / 2;
                float[] cos = new float[maxSeq * half], sin = new float[maxSeq * half];
                for (int p = 0; p < maxSeq; p++) for (int i = 0; i < half; i++) {
                    double a = p * Math.pow(10000, -2.0 * i / hd);
                    cos[p * half + i] = (float) Math.cos(a);
                    sin[p * half + i] = (float) Math.sin(a);
                }
                int n = batch * seq * heads * hd;
                Inputs in = new Inputs(new float[][] {random(rng, n, -1, 1), new float[n], random(rng, n, -1, 1), cos, sin},
                        new int[][] {{n}, {n}, {n}, {maxSeq, half}, {maxSeq, half}});
                for (boolean inverse : new boolean[] {false, true}) {
                    compare("rope", "rope " + layout + " hd=" + hd + " inverse=" + inverse, be, in, t -> {
                        Backend k = t[0].backend();
                        k.rope(t[0], t[1], t[3], t[4], batch, seq, heads, hd, 5, layout, inverse, false);
                        k.rope(t[0], t[2], t[3], t[4], batch, seq, heads, hd, 5, layout, inverse, true);
                        return null;
                    }, max(1), increment(2));
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void attentionGqaRatiosWithBackwardAndKvCacheOffsets(String name) {
        Backend be = open(name);
        Rng rng = new Rng(7);
        for (int group : new int[] {1, 2, 4}) {
            for (int[] dims : new int[][] {{1, 1, 1, 7}, {2, 7, 2, 33}, {1, 33, 1, 16}, {2, 65, 2, 8}}) {
                int batch = dims[0], seq = dims[1], kvHeads = dims[2], hd = dims[3], heads = kvHeads * group;
                int qn = batch * seq * heads * hd, kn = batch * seq * kvHeads * hd, pn = batch * heads * seq * seq;
                Inputs in = inputs(rng, -1, 1, new int[] {qn}, new int[] {kn}, new int[] {kn}, new int[] {qn}, new int[] {pn},
                        new int[] {qn}, new int[] {qn}, new int[] {kn}, new int[] {kn});
                String what = "attention group=" + group + " " + Arrays.toString(dims);
                Function<Tensor[], Object> forward = t -> {
                    t[0].backend().attention(t[0], t[1], t[2], t[3], t[4], batch, seq, seq, seq, heads, kvHeads, hd);
                    return null;
                };
                double reduction = Math.sqrt(seq) + Math.sqrt(hd);
                compare("attention", what, be, in, forward, max(3), element(4));
                in.with(4, onRef(in, forward, 4));
                compare("attentionBackward", what + " backward", be, in, t -> {
                    t[0].backend().attentionBackward(t[0], t[1], t[2], t[4], t[5], t[6], t[7], t[8], batch, seq, seq, heads, kvHeads, hd);
                    return null;
                }, increment(6), increment(7),
                        increment(8));
                compare("attentionBackwardRecomputed", what + " backward, weights recomputed", be, in, t -> {
                    t[0].backend().attentionBackwardRecomputed(t[0], t[1], t[2], t[5], t[6], t[7], t[8], batch, seq, seq, heads, kvHeads, hd);
                    return null;
                }, increment(6), increment(7), increment(8));
                assertRecomputedBackwardHasTheKeptWeightsBits(be, what, in, batch, seq, heads, kvHeads, hd);
            }
            // decoding: 3 new queries against 20 cached keys in a cache of capacity 32
            int batch = 2, tq = 3, tk = 20, cap = 32, kvHeads = 2, heads = 2 * group, hd = 16;
            Inputs in = inputs(rng, -1, 1, new int[] {batch * tq * heads * hd}, new int[] {batch * cap * kvHeads * hd},
                    new int[] {batch * cap * kvHeads * hd}, new int[] {batch * tq * heads * hd});
            compare("attention", "attention with kv cache group=" + group, be, in, t -> {
                t[0].backend().attention(t[0], t[1], t[2], t[3], null, batch, tq, tk, cap, heads, kvHeads, hd);
                return null;
            }, max(3));
        }
    }

    /** A (rows, cols) matrix of values in [-1, 1] in each packed type (q8 only where cols is whole blocks). */
    private static List<PackedMatrix> packedMatrices(Rng rng, int rows, int cols) {
        float[] w = random(rng, rows * cols, -1, 1);
        List<PackedMatrix> out = new ArrayList<>(List.of(new F32Matrix(w, rows, cols), Bf16Matrix.rounded(w, rows, cols)));
        if (cols % Q8Matrix.BLOCK == 0) out.add(Q8Matrix.quantize(w, rows, cols));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void packedLinearAndBf16CacheAttention(String name) {
        Backend be = open(name);
        Rng rng = new Rng(17);
        for (int rows : SIZES) {
            for (int cols : new int[] {1, 31, 33, 64, 257, 288}) {
                for (PackedMatrix w : packedMatrices(rng, rows, cols)) {
                    for (int tokens : new int[] {1, 3}) {
                        Inputs in = inputs(rng, -1, 1, new int[] {tokens, cols}, new int[] {tokens, rows});
                        compare("packedLinear", "packedLinear " + w.typeName() + " " + rows + "x" + cols + " tokens=" + tokens, be, in,
                                t -> { t[0].backend().packedLinear(w, t[0], t[1], tokens); return null; }, max(1));
                    }
                }
            }
        }
        for (int group : new int[] {1, 2, 4}) {
            for (int[] dims : new int[][] {{3, 20, 16}, {1, 1, 7}, {2, 33, 33}, {1, 65, 48}}) { // tq, tk, headDim
                int tq = dims[0], tk = dims[1], hd = dims[2], cap = tk + 5, kvHeads = 2, heads = 2 * group;
                short[] keys = bf16(random(rng, cap * kvHeads * hd, -1, 1)), values = bf16(random(rng, cap * kvHeads * hd, -1, 1));
                Inputs in = inputs(rng, -1, 1, new int[] {tq * heads * hd}, new int[] {tq * heads * hd});
                compare("attentionBf16Cache", "attentionBf16Cache group=" + group + " " + Arrays.toString(dims), be, in, t -> {
                    t[0].backend().attentionBf16Cache(t[0], keys, values, t[1], tq, tk, heads, kvHeads, hd);
                    return null;
                }, max(1));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void decodingCacheWithTransposedKeys(String name) {
        Backend be = open(name);
        Rng rng = new Rng(23);
        for (int group : new int[] {1, 2, 4}) {
            for (int[] dims : new int[][] {{3, 20, 16, 25}, {1, 1, 7, 1}, {2, 33, 33, 33}, {1, 65, 48, 70}}) { // tq, tk, headDim, capacity
                int tq = dims[0], tk = dims[1], hd = dims[2], cap = dims[3], kvHeads = 2, heads = 2 * group, kvDim = kvHeads * hd;
                String what = " group=" + group + " " + Arrays.toString(dims);
                compare("writeKeysTransposed", "writeKeysTransposed" + what, be, inputs(rng, -1, 1, new int[] {tq, kvDim}, new int[] {kvDim, cap}),
                        t -> { t[0].backend().writeKeysTransposed(t[0], t[1], tq, tk - tq, kvDim, cap); return null; }, max(1));
                Inputs in = inputs(rng, -1, 1, new int[] {tq, heads, hd}, new int[] {kvDim, cap}, new int[] {cap, kvDim}, new int[] {tq, heads, hd});
                compare("attentionKeysTransposed", "attentionKeysTransposed" + what, be, in, t -> {
                    t[0].backend().attentionKeysTransposed(t[0], t[1], t[2], t[3], tq, tk, cap, heads, kvHeads, hd);
                    return null;
                }, max(3));
            }
        }
    }

    private static short[] bf16(float[] v) {
        short[] b = new short[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Bf16Matrix.toBf16(v[i]);
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void swigluEmbeddingCrossEntropyAdamw(String name) {
        Backend be = open(name);
        Rng rng = new Rng(8);
        for (int n : SIZES) {
            Inputs sw = inputs(rng, -4, 4, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n});
            compare("swiglu", "swiglu n=" + n, be, sw, t -> { t[0].backend().swiglu(t[0], t[1], t[2]); return null; }, max(2));
            compare("swigluBackward", "swigluBackward n=" + n, be, sw, t -> {
                t[0].backend().swigluBackward(t[0], t[1], t[3], t[4], t[5]);
                return null;
            }, increment(4), increment(5));

            int vocab = n + 2, dim = 7;
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = rng.nextInt(vocab);
            Inputs em = inputs(rng, -1, 1, new int[] {vocab, dim}, new int[] {n, dim}, new int[] {n, dim}, new int[] {vocab, dim});
            compare("embedding", "embedding n=" + n, be, em, t -> { t[0].backend().embedding(t[0], ids, t[1], dim); return null; }, max(1));
            compare("embeddingBackward", "embeddingBackward n=" + n, be, em,
                    t -> { t[0].backend().embeddingBackward(t[2], ids, t[3], dim); return null; }, increment(3));

            int rows = 7;
            int[] targets = new int[rows];
            for (int i = 0; i < rows; i++) targets[i] = i == 3 ? -1 : rng.nextInt(n);
            Inputs ce = inputs(rng, -6, 6, new int[] {rows, n}, new int[] {rows, n}, new int[] {rows, n});
            Function<Tensor[], Object> crossEntropy = t -> t[0].backend().crossEntropy(t[0], targets, t[1], rows, n);
            compare("crossEntropy", "cross-entropy vocab=" + n, be, ce, crossEntropy, element(1));
            ce.with(1, onRef(ce, crossEntropy, 1));
            compare("crossEntropyBackward", "cross-entropy backward vocab=" + n, be, ce,
                    t -> { t[0].backend().crossEntropyBackward(t[1], targets, t[2], rows, n, 0.25f); return null; }, increment(2));

            Inputs ad = inputs(rng, -1, 1, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n});
            for (int i = 0; i < n; i++) ad.data()[3][i] = Math.abs(ad.data()[3][i]); // v >= 0
            compare("adamw", "adamw n=" + n, be, ad, t -> {
                t[0].backend().adamw(t[0], t[1], t[2], t[3], 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f);
                return null;
            }, increment(0), max(2), max(3));
        }
    }

    // ---------------------------------------------------------------- PIECE kernels

    /** k distinct ascending indices below n. */
    private static int[] sortedIndices(Rng rng, int n, int k) {
        boolean[] taken = new boolean[n];
        int[] idx = new int[k];
        for (int j = 0; j < k; ) {
            int i = rng.nextInt(n);
            if (!taken[i]) { taken[i] = true; j++; }
        }
        for (int i = 0, j = 0; i < n; i++) if (taken[i]) idx[j++] = i;
        return idx;
    }

    /** Elements not in idx (ascending) must keep their exact bits. */
    private static void assertUntouchedOutside(String what, int[] idx, float[] before, float[] after) {
        int j = 0;
        for (int i = 0; i < before.length; i++) {
            if (j < idx.length && idx[j] == i) { j++; continue; }
            if (Float.floatToRawIntBits(before[i]) != Float.floatToRawIntBits(after[i])) {
                fail(what + ": element " + i + " is outside the index list but changed from " + before[i] + " to " + after[i]);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void maskedAdamwSampledMatmulMomentsAndSumOfSquaresAtIndices(String name) {
        Backend be = open(name);
        Rng rng = new Rng(10);
        for (int n : new int[] {7, 257, 5000}) {
            int k = Math.max(1, n / 3);
            int[] idx = sortedIndices(rng, n, k);
            for (float gradScale : new float[] {1f, 0.3f}) {
                Inputs ad = inputs(rng, -1, 1, new int[] {n}, new int[] {n}, new int[] {k}, new int[] {k});
                for (int j = 0; j < k; j++) ad.data()[3][j] = Math.abs(ad.data()[3][j]); // v >= 0
                Function<Tensor[], Object> step = t -> {
                    t[0].backend().maskedAdamw(t[0], t[1], idx, t[2], t[3], 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.271f, 0.142625f, gradScale);
                    return null;
                };
                compare("maskedAdamw", "maskedAdamw n=" + n + " k=" + k + " gradScale=" + gradScale, be, ad, step,
                        increment(0), max(2), max(3));
                if (ownsKernel(be, "maskedAdamw")) {
                    Tensor[] t = ad.on(be);
                    step.apply(t);
                    assertUntouchedOutside(name + " maskedAdamw n=" + n, idx, ad.data()[0], t[0].toArray());
                }
            }

            Inputs mo = inputs(rng, -2, 2, new int[] {n}, new int[] {n}, new int[] {n});
            compare("accumulateMoments", "accumulateMoments n=" + n, be, mo,
                    t -> { t[0].backend().accumulateMoments(t[0], t[1], t[2]); return null; }, increment(1), increment(2));
            compare("sumOfSquaresAt", "sumOfSquaresAt n=" + n + " k=" + k, be, mo, t -> t[0].backend().sumOfSquaresAt(t[0], idx));
        }
        // sampled weight gradient: a few coordinates, and more than one work chunk of simd (256) so its threaded path runs
        for (int[] s : new int[][] {{1, 7, 5, 3}, {37, 65, 33, 1000}, {64, 96, 80, 3000}}) {
            int tokens = s[0], outDim = s[1], inDim = s[2], k = s[3];
            int[] idx = sortedIndices(rng, outDim * inDim, k);
            Inputs in = inputs(rng, -1, 1, new int[] {tokens, outDim}, new int[] {tokens, inDim}, new int[] {outDim, inDim});
            Function<Tensor[], Object> run = t -> { t[0].backend().sampledMatmul(t[0], t[1], idx, t[2], tokens, outDim, inDim); return null; };
            compare("sampledMatmul", "sampledMatmul tokens=" + tokens + " " + outDim + "x" + inDim + " k=" + k, be, in, run,
                    increment(2));
            if (ownsKernel(be, "sampledMatmul")) {
                Tensor[] t = in.on(be);
                run.apply(t);
                assertUntouchedOutside(name + " sampledMatmul k=" + k, idx, in.data()[2], t[2].toArray());
            }
        }
    }

    /** The idx.length values of a at idx. */
    private static float[] gather(float[] a, int[] idx) {
        float[] out = new float[idx.length];
        for (int j = 0; j < idx.length; j++) out[j] = a[idx[j]];
        return out;
    }

    private static void assertSameBits(String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + ": element " + i + " is " + got[i] + ", the non-compact kernel gives " + want[i]);
            }
        }
    }

    /**
     * The compact-gradient kernels against ref, and against the same backend's non-compact kernels, which they must
     * match bit for bit: sampledMatmulCompact's value j is sampledMatmul's dW[idx[j]] (both added onto the same
     * starting values), and maskedAdamwCompact with gradient values g[idx[j]] leaves param, m and v as maskedAdamw does.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void compactGradientKernelsMatchTheirDenseCounterparts(String name) {
        Backend be = open(name);
        Rng rng = new Rng(11);
        for (int[] s : new int[][] {{1, 7, 5, 3}, {37, 65, 33, 1000}, {64, 96, 80, 3000}}) {
            int tokens = s[0], outDim = s[1], inDim = s[2], k = s[3];
            int[] idx = sortedIndices(rng, outDim * inDim, k);
            Inputs in = inputs(rng, -1, 1, new int[] {tokens, outDim}, new int[] {tokens, inDim}, new int[] {k});
            Function<Tensor[], Object> run = t -> {
                t[0].backend().sampledMatmulCompact(t[0], t[1], idx, t[2], tokens, outDim, inDim);
                return null;
            };
            String what = "sampledMatmulCompact tokens=" + tokens + " " + outDim + "x" + inDim + " k=" + k;
            compare("sampledMatmulCompact", what, be, in, run, increment(2));
            for (Backend b : new Backend[] {be, REF}) {
                Tensor[] t = in.on(b);
                run.apply(t);
                float[] dense = new float[outDim * inDim];
                for (int j = 0; j < k; j++) dense[idx[j]] = in.data()[2][j];
                Tensor dW = Tensor.of(b, dense, outDim, inDim);
                b.sampledMatmul(t[0], t[1], idx, dW, tokens, outDim, inDim);
                assertSameBits(b.name() + " " + what + " vs sampledMatmul", gather(dW.toArray(), idx), t[2].toArray());
            }
        }
        for (int n : new int[] {7, 257, 5000}) {
            int k = Math.max(1, n / 3);
            int[] idx = sortedIndices(rng, n, k);
            for (float gradScale : new float[] {1f, 0.3f}) {
                Inputs ad = inputs(rng, -1, 1, new int[] {n}, new int[] {k}, new int[] {k}, new int[] {k});
                for (int j = 0; j < k; j++) ad.data()[3][j] = Math.abs(ad.data()[3][j]); // v >= 0
                Function<Tensor[], Object> step = t -> {
                    t[0].backend().maskedAdamwCompact(t[0], idx, t[1], t[2], t[3], 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.271f, 0.142625f, gradScale);
                    return null;
                };
                String what = "maskedAdamwCompact n=" + n + " k=" + k + " gradScale=" + gradScale;
                compare("maskedAdamwCompact", what, be, ad, step, increment(0), max(2), max(3));
                for (Backend b : new Backend[] {be, REF}) {
                    Tensor[] t = ad.on(b);
                    step.apply(t);
                    float[] dense = new float[n];
                    for (int j = 0; j < k; j++) dense[idx[j]] = ad.data()[1][j];
                    Tensor p = Tensor.of(b, ad.data()[0], n), g = Tensor.of(b, dense, n), m = Tensor.of(b, ad.data()[2], k),
                            v = Tensor.of(b, ad.data()[3], k);
                    b.maskedAdamw(p, g, idx, m, v, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.271f, 0.142625f, gradScale);
                    assertSameBits(b.name() + " " + what + " param vs maskedAdamw", p.toArray(), t[0].toArray());
                    assertSameBits(b.name() + " " + what + " m vs maskedAdamw", m.toArray(), t[2].toArray());
                    assertSameBits(b.name() + " " + what + " v vs maskedAdamw", v.toArray(), t[3].toArray());
                }
            }
        }
    }

    // ---------------------------------------------------------------- threads

    /** One kernel call for the thread-count test: sizes large enough that the work is split into several pieces. */
    /**
     * On the backend itself: the backward that computes the weights again gives the bits of the backward fed the weights
     * its own forward kept (inputs: q, k, v, out, probs, dOut, dq, dk, dv as in the test above).
     */
    private static void assertRecomputedBackwardHasTheKeptWeightsBits(Backend be, String what, Inputs in, int batch, int seq,
                                                                      int heads, int kvHeads, int hd) {
        Tensor[] kept = in.on(be), again = in.on(be);
        be.attention(kept[0], kept[1], kept[2], kept[3], kept[4], batch, seq, seq, seq, heads, kvHeads, hd);
        be.attentionBackward(kept[0], kept[1], kept[2], kept[4], kept[5], kept[6], kept[7], kept[8], batch, seq, seq, heads, kvHeads, hd);
        be.attentionBackwardRecomputed(again[0], again[1], again[2], again[5], again[6], again[7], again[8], batch, seq, seq, heads,
                kvHeads, hd);
        for (int i = 6; i <= 8; i++) {
            float[] a = kept[i].toArray(), b = again[i].toArray();
            for (int j = 0; j < a.length; j++) {
                if (Float.floatToRawIntBits(a[j]) != Float.floatToRawIntBits(b[j])) {
                    throw new AssertionError(be.name() + " " + what + ": gradient #" + i + " element " + j + " is " + b[j]
                            + " with the weights recomputed, " + a[j] + " with them kept");
                }
            }
        }
    }

    private record Threaded(String kernel, Inputs inputs, Function<Tensor[], Object> run) {}

    private static List<Threaded> threadedCases() {
        Rng rng = new Rng(9);
        List<Threaded> cases = new ArrayList<>();
        int n = 40_000; // more than two elementwise stretches (2^14)
        cases.add(new Threaded("unary", inputs(rng, -3, 3, new int[] {n}, new int[] {n}),
                t -> { t[0].backend().unary(UnaryOp.SILU, t[0], t[1]); return null; }));
        cases.add(new Threaded("unaryBackward", inputs(rng, -3, 3, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n}),
                t -> { t[0].backend().unaryBackward(UnaryOp.SILU, t[0], t[1], t[2], t[3]); return null; }));
        int rows = 200, cols = 257;
        for (int bn : new int[] {rows * cols, cols, 1}) {
            cases.add(new Threaded("binary", inputs(rng, 0.5f, 2, new int[] {rows, cols}, new int[] {bn}, new int[] {rows, cols}),
                    t -> { t[0].backend().binary(BinaryOp.DIV, t[0], t[1], t[2]); return null; }));
            cases.add(new Threaded("binaryBackward", inputs(rng, 0.5f, 2, new int[] {rows, cols}, new int[] {bn}, new int[] {rows, cols},
                    new int[] {rows, cols}, new int[] {bn}),
                    t -> { t[0].backend().binaryBackward(BinaryOp.DIV, t[0], t[1], t[2], t[3], t[4]); return null; }));
        }
        cases.add(new Threaded("addScaled", inputs(rng, -1, 1, new int[] {n}, new int[] {n}),
                t -> { t[0].backend().addScaled(t[0], t[1], 0.3f); return null; }));
        cases.add(new Threaded("sumOfSquares", inputs(rng, -1, 1, new int[] {n}), t -> t[0].backend().sumOfSquares(t[0])));
        cases.add(new Threaded("sumAxis", inputs(rng, -1, 1, new int[] {3 * 300 * 50}, new int[] {3 * 50}),
                t -> { t[0].backend().sumAxis(t[0], t[1], 3, 300, 50, 0.5f, true); return null; }));
        cases.add(new Threaded("broadcastAxis", inputs(rng, -1, 1, new int[] {3 * 50}, new int[] {3 * 300 * 50}),
                t -> { t[0].backend().broadcastAxis(t[0], t[1], 3, 300, 50, 0.5f); return null; }));
        cases.add(new Threaded("matmul", inputs(rng, -1, 1, new int[] {65 * 257}, new int[] {257 * 65}, new int[] {65 * 65}),
                t -> { t[0].backend().matmul(t[0], false, t[1], false, t[2], 1, 65, 65, 257, 0, false); return null; }));
        cases.add(new Threaded("matmul", inputs(rng, -1, 1, new int[] {65 * 257}, new int[] {65 * 65}, new int[] {257 * 65}),
                t -> { t[0].backend().matmul(t[0], true, t[1], false, t[2], 1, 257, 65, 65, 0, true); return null; }));
        cases.add(new Threaded("matmul", inputs(rng, -1, 1, new int[] {200 * 130}, new int[] {96 * 130}, new int[] {200 * 96}),
                t -> { t[0].backend().matmul(t[0], false, t[1], true, t[2], 1, 200, 96, 130, 0, false); return null; }));
        cases.add(new Threaded("softmax", inputs(rng, -5, 5, new int[] {rows, cols}, new int[] {rows, cols}),
                t -> { t[0].backend().softmax(t[0], t[1], rows, cols); return null; }));
        cases.add(new Threaded("softmaxBackward", inputs(rng, 0, 1, new int[] {rows, cols}, new int[] {rows, cols}, new int[] {rows, cols}),
                t -> { t[0].backend().softmaxBackward(t[0], t[1], t[2], rows, cols); return null; }));
        cases.add(new Threaded("rmsnorm", inputs(rng, -2, 2, new int[] {rows, cols}, new int[] {cols}, new int[] {rows, cols}, new int[] {rows}),
                t -> { t[0].backend().rmsnorm(t[0], t[1], t[2], t[3], rows, cols, 1e-5f); return null; }));
        cases.add(new Threaded("rmsnormBackward", inputs(rng, 0.5f, 2, new int[] {rows, cols}, new int[] {cols}, new int[] {rows},
                new int[] {rows, cols}, new int[] {rows, cols}, new int[] {cols}),
                t -> { t[0].backend().rmsnormBackward(t[0], t[1], t[2], t[3], t[4], t[5], rows, cols); return null; }));
        int batch = 2, seq = 33, heads = 8, kvHeads = 2, hd = 64, maxSeq = 40; // rope rows of 512: several row blocks
        int qn = batch * seq * heads * hd, kn = batch * seq * kvHeads * hd;
        cases.add(new Threaded("rope", inputs(rng, -1, 1, new int[] {qn}, new int[] {qn}, new int[] {maxSeq, hd / 2}, new int[] {maxSeq, hd / 2}),
                t -> { t[0].backend().rope(t[0], t[1], t[2], t[3], batch, seq, heads, hd, 3, RopeLayout.HALF_SPLIT, false, true); return null; }));
        cases.add(new Threaded("attention", inputs(rng, -1, 1, new int[] {qn}, new int[] {kn}, new int[] {kn}, new int[] {qn},
                new int[] {batch * heads * seq * seq}),
                t -> { t[0].backend().attention(t[0], t[1], t[2], t[3], t[4], batch, seq, seq, seq, heads, kvHeads, hd); return null; }));
        cases.add(new Threaded("attentionBackward", inputs(rng, 0, 0.1f, new int[] {qn}, new int[] {kn}, new int[] {kn},
                new int[] {batch * heads * seq * seq}, new int[] {qn}, new int[] {qn}, new int[] {kn}, new int[] {kn}),
                t -> { t[0].backend().attentionBackward(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], batch, seq, seq, heads, kvHeads, hd); return null; }));
        cases.add(new Threaded("attentionBackwardRecomputed", inputs(rng, 0, 0.1f, new int[] {qn}, new int[] {kn}, new int[] {kn},
                new int[] {qn}, new int[] {qn}, new int[] {kn}, new int[] {kn}),
                t -> { t[0].backend().attentionBackwardRecomputed(t[0], t[1], t[2], t[3], t[4], t[5], t[6], batch, seq, seq, heads, kvHeads, hd); return null; }));
        cases.add(new Threaded("swiglu", inputs(rng, -4, 4, new int[] {n}, new int[] {n}, new int[] {n}),
                t -> { t[0].backend().swiglu(t[0], t[1], t[2]); return null; }));
        cases.add(new Threaded("swigluBackward", inputs(rng, -4, 4, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n}),
                t -> { t[0].backend().swigluBackward(t[0], t[1], t[2], t[3], t[4]); return null; }));
        int[] ids = new int[500];
        for (int i = 0; i < ids.length; i++) ids[i] = rng.nextInt(300);
        cases.add(new Threaded("embedding", inputs(rng, -1, 1, new int[] {300, 64}, new int[] {500, 64}),
                t -> { t[0].backend().embedding(t[0], ids, t[1], 64); return null; }));
        cases.add(new Threaded("embeddingBackward", inputs(rng, -1, 1, new int[] {500, 64}, new int[] {300, 64}),
                t -> { t[0].backend().embeddingBackward(t[0], ids, t[1], 64); return null; }));
        int[] targets = new int[rows];
        for (int i = 0; i < rows; i++) targets[i] = i % 9 == 4 ? -1 : rng.nextInt(cols);
        cases.add(new Threaded("crossEntropy", inputs(rng, -6, 6, new int[] {rows, cols}, new int[] {rows, cols}),
                t -> t[0].backend().crossEntropy(t[0], targets, t[1], rows, cols)));
        cases.add(new Threaded("crossEntropyBackward", inputs(rng, 0, 1, new int[] {rows, cols}, new int[] {rows, cols}),
                t -> { t[0].backend().crossEntropyBackward(t[0], targets, t[1], rows, cols, 0.1f); return null; }));
        cases.add(new Threaded("adamw", inputs(rng, 0, 1, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n}),
                t -> { t[0].backend().adamw(t[0], t[1], t[2], t[3], 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f); return null; }));
        int[] masked = sortedIndices(rng, n, 30_000);
        cases.add(new Threaded("maskedAdamw", inputs(rng, 0, 1, new int[] {n}, new int[] {n}, new int[] {masked.length}, new int[] {masked.length}),
                t -> { t[0].backend().maskedAdamw(t[0], t[1], masked, t[2], t[3], 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f, 0.5f); return null; }));
        cases.add(new Threaded("maskedAdamwCompact", inputs(rng, 0, 1, new int[] {n}, new int[] {masked.length}, new int[] {masked.length},
                new int[] {masked.length}),
                t -> { t[0].backend().maskedAdamwCompact(t[0], masked, t[1], t[2], t[3], 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f, 0.5f); return null; }));
        int[] sampled = sortedIndices(rng, 96 * 80, 3000); // about 12 chunks of 256 coordinates
        cases.add(new Threaded("sampledMatmul", inputs(rng, -1, 1, new int[] {64, 96}, new int[] {64, 80}, new int[] {96, 80}),
                t -> { t[0].backend().sampledMatmul(t[0], t[1], sampled, t[2], 64, 96, 80); return null; }));
        cases.add(new Threaded("sampledMatmulCompact", inputs(rng, -1, 1, new int[] {64, 96}, new int[] {64, 80}, new int[] {sampled.length}),
                t -> { t[0].backend().sampledMatmulCompact(t[0], t[1], sampled, t[2], 64, 96, 80); return null; }));
        cases.add(new Threaded("accumulateMoments", inputs(rng, -1, 1, new int[] {n}, new int[] {n}, new int[] {n}),
                t -> { t[0].backend().accumulateMoments(t[0], t[1], t[2]); return null; }));
        cases.add(new Threaded("sumOfSquaresAt", inputs(rng, -1, 1, new int[] {n}), t -> t[0].backend().sumOfSquaresAt(t[0], masked)));
        for (PackedMatrix w : packedMatrices(rng, 700, 288)) { // several row blocks of the output
            cases.add(new Threaded("packedLinear", inputs(rng, -1, 1, new int[] {2, 288}, new int[] {2, 700}),
                    t -> { t[0].backend().packedLinear(w, t[0], t[1], 2); return null; }));
        }
        short[] cacheKeys = bf16(random(rng, 40 * 2 * 16, -1, 1)), cacheValues = bf16(random(rng, 40 * 2 * 16, -1, 1));
        cases.add(new Threaded("attentionBf16Cache", inputs(rng, -1, 1, new int[] {2 * 8 * 16}, new int[] {2 * 8 * 16}),
                t -> { t[0].backend().attentionBf16Cache(t[0], cacheKeys, cacheValues, t[1], 2, 40, 8, 2, 16); return null; }));
        cases.add(new Threaded("writeKeysTransposed", inputs(rng, -1, 1, new int[] {3, 32}, new int[] {32, 40}),
                t -> { t[0].backend().writeKeysTransposed(t[0], t[1], 3, 30, 32, 40); return null; }));
        cases.add(new Threaded("attentionKeysTransposed", inputs(rng, -1, 1, new int[] {2 * 8 * 16}, new int[] {32, 40}, new int[] {40, 32},
                new int[] {2 * 8 * 16}),
                t -> { t[0].backend().attentionKeysTransposed(t[0], t[1], t[2], t[3], 2, 37, 40, 8, 2, 16); return null; }));
        return cases;
    }

    @Test
    void everyKernelHasAToleranceAndAThreadCountCase() {
        Set<String> all = kernels().stream().map(Method::getName).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(all, new TreeSet<>(LIMITS.keySet()), "kernels of the SPI vs kernels with a stated tolerance");
        Set<String> called = threadedCases().stream().map(Threaded::kernel).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(all, called, "kernels of the SPI vs kernels the thread-count test calls");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("subjects")
    void everyKernelIsThreadCountInvariant(String name) {
        List<Threaded> cases = threadedCases();
        Object[][] firstScalar = new Object[cases.size()][];
        float[][][] first = new float[cases.size()][][];
        for (int threads : new int[] {1, 2, 3}) {
            try (Backend be = Backends.create(name, threads)) {
                for (int c = 0; c < cases.size(); c++) {
                    Threaded tc = cases.get(c);
                    Tensor[] t = tc.inputs.on(be);
                    Object scalar = tc.run.apply(t);
                    float[][] out = new float[t.length][];
                    for (int i = 0; i < t.length; i++) out[i] = t[i].toArray();
                    if (threads == 1) {
                        first[c] = out;
                        firstScalar[c] = new Object[] {scalar};
                        continue;
                    }
                    String where = name + " " + tc.kernel + " (case " + c + ")";
                    Object s1 = firstScalar[c][0];
                    assertEquals(s1, scalar, where + ": returned value differs between 1 and " + threads + " threads");
                    for (int i = 0; i < out.length; i++) {
                        float[] a = first[c][i], b = out[i];
                        for (int e = 0; e < a.length; e++) {
                            if (Float.floatToRawIntBits(a[e]) != Float.floatToRawIntBits(b[e])) {
                                fail(where + ": tensor #" + i + " element " + e + " differs between 1 and " + threads + " threads: "
                                        + a[e] + " vs " + b[e]);
                            }
                        }
                    }
                }
            }
        }
    }
}
