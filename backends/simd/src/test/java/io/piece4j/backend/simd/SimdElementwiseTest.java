package io.piece4j.backend.simd;

import io.piece4j.tensor.spi.BinaryOp;
import io.piece4j.tensor.spi.UnaryOp;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static io.piece4j.backend.simd.KernelCheck.awayFromZero;
import static io.piece4j.backend.simd.KernelCheck.check;
import static io.piece4j.backend.simd.KernelCheck.gaussian;
import static io.piece4j.backend.simd.KernelCheck.uniform;

/** Elementwise kernels of the SIMD backend against the reference, tolerances as in {@link KernelCheck}. */
class SimdElementwiseTest {
    /** Awkward lengths, and one that spans three stretches of work. */
    static final int[] SIZES = {1, 7, 33, 65, 257, 2 * SimdBackend.STRETCH + 3};

    static Stream<Arguments> unaryCases() {
        return Arrays.stream(UnaryOp.values()).flatMap(op -> Arrays.stream(SIZES).mapToObj(n -> Arguments.of(op, n)));
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("unaryCases")
    void unaryMatchesReference(UnaryOp op, int n) {
        Random rng = new Random(n * 31L + op.ordinal());
        float[] x = switch (op) {
            case LOG, SQRT -> uniform(rng, n, 0.01, 10);
            case EXP -> gaussian(rng, n, 4);
            default -> gaussian(rng, n, 3);
        };
        KernelCheck.Call call = t -> t.backend.unary(op, t.in(x, n), t.out("y", new float[n], n));
        // exp spans many magnitudes: each element within a few float32 ulps of its own value
        if (op == UnaryOp.EXP) KernelCheck.checkEachRelative(op + " n=" + n, 1e-6, call);
        else check(op + " n=" + n, call);
    }

    @ParameterizedTest(name = "in place over {0}")
    @ValueSource(ints = {7, 257})
    void unaryWorksInPlace(int n) {
        float[] x = gaussian(new Random(n), n, 2);
        check("SILU in place n=" + n, t -> {
            var xy = t.out("xy", x, n);
            t.backend.unary(UnaryOp.SILU, xy, xy);
        });
    }

    /** b as long as a, as one row of a (added to every row), or one scalar. */
    enum Broadcast { SAME, ROW, SCALAR }

    static Stream<Arguments> binaryCases() {
        return Arrays.stream(BinaryOp.values()).flatMap(op -> Arrays.stream(Broadcast.values()).flatMap(bc ->
                Stream.of(new int[]{1, 1}, new int[]{3, 7}, new int[]{5, 33}, new int[]{2, 65}, new int[]{4, 257},
                                new int[]{600, 65}) // 600 rows of 65: three blocks of rows
                        .map(shape -> Arguments.of(op, bc, shape[0], shape[1]))));
    }

    private static int bSize(Broadcast bc, int rows, int cols) {
        return switch (bc) { case SAME -> rows * cols; case ROW -> cols; case SCALAR -> 1; };
    }

    @ParameterizedTest(name = "{0} {1} ({2}, {3})")
    @MethodSource("binaryCases")
    void binaryMatchesReference(BinaryOp op, Broadcast bc, int rows, int cols) {
        Random rng = new Random(rows * 1000L + cols);
        int n = rows * cols, bn = bSize(bc, rows, cols);
        float[] a = gaussian(rng, n, 1), b = awayFromZero(rng, bn, 0.5, 2);
        check(op + " " + bc + " (" + rows + ", " + cols + ")", t -> {
            var out = t.out("out", new float[n], rows, cols);
            t.backend.binary(op, t.in(a, rows, cols), t.in(b, bn), out);
        });
    }

    @ParameterizedTest(name = "{0} {1} ({2}, {3})")
    @MethodSource("binaryCases")
    void binaryBackwardMatchesReference(BinaryOp op, Broadcast bc, int rows, int cols) {
        Random rng = new Random(rows * 1000L + cols + 7);
        int n = rows * cols, bn = bSize(bc, rows, cols);
        float[] a = gaussian(rng, n, 1), b = awayFromZero(rng, bn, 0.5, 2), g = gaussian(rng, n, 1);
        float[] da0 = gaussian(rng, n, 1), db0 = gaussian(rng, bn, 1);
        String what = op + " " + bc + " (" + rows + ", " + cols + ")";
        check(what + " da and db", t -> t.backend.binaryBackward(op, t.in(a, n), t.in(b, bn), t.in(g, n),
                t.out("da", da0, n), t.out("db", db0, bn)));
        check(what + " da only", t -> t.backend.binaryBackward(op, t.in(a, n), t.in(b, bn), t.in(g, n),
                t.out("da", da0, n), null));
        check(what + " db only", t -> t.backend.binaryBackward(op, t.in(a, n), t.in(b, bn), t.in(g, n),
                null, t.out("db", db0, bn)));
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("sizes")
    void addScaledMatchesReference(int n) {
        Random rng = new Random(n);
        float[] dst = gaussian(rng, n, 1), src = gaussian(rng, n, 1);
        check("addScaled n=" + n, t -> t.backend.addScaled(t.out("dst", dst, n), t.in(src, n), -0.37f));
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("sizes")
    void sumOfSquaresMatchesReference(int n) {
        float[] x = gaussian(new Random(n), n, 1.5);
        check("sumOfSquares n=" + n, t -> t.result("sum", t.backend.sumOfSquares(t.in(x, n))));
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("sizes")
    void swigluMatchesReference(int n) {
        Random rng = new Random(n + 3);
        float[] gate = gaussian(rng, n, 3), up = gaussian(rng, n, 1);
        check("swiglu n=" + n, t -> t.backend.swiglu(t.in(gate, n), t.in(up, n), t.out("out", new float[n], n)));
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("sizes")
    void swigluBackwardMatchesReference(int n) {
        Random rng = new Random(n + 5);
        float[] gate = gaussian(rng, n, 3), up = gaussian(rng, n, 1), dOut = gaussian(rng, n, 1);
        float[] dGate = gaussian(rng, n, 1), dUp = gaussian(rng, n, 1);
        check("swigluBackward n=" + n, t -> t.backend.swigluBackward(t.in(gate, n), t.in(up, n), t.in(dOut, n),
                t.out("dGate", dGate, n), t.out("dUp", dUp, n)));
        check("swigluBackward dGate only n=" + n, t -> t.backend.swigluBackward(t.in(gate, n), t.in(up, n), t.in(dOut, n),
                t.out("dGate", dGate, n), null));
        check("swigluBackward dUp only n=" + n, t -> t.backend.swigluBackward(t.in(gate, n), t.in(up, n), t.in(dOut, n),
                null, t.out("dUp", dUp, n)));
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("sizes")
    void adamwMatchesReference(int n) {
        Random rng = new Random(n + 11);
        float[] p = gaussian(rng, n, 0.1), g = gaussian(rng, n, 0.01);
        float[] m = gaussian(rng, n, 0.001), v = uniform(rng, n, 0, 1e-4);
        // step 3 of lr 1e-3, betas (0.9, 0.95), weight decay 0.1
        float bias1 = (float) (1 - Math.pow(0.9, 3)), bias2 = (float) (1 - Math.pow(0.95, 3));
        check("adamw n=" + n, t -> t.backend.adamw(t.out("p", p, n), t.in(g, n), t.out("m", m, n), t.out("v", v, n),
                1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, bias1, bias2));
    }

    static int[] sizes() {
        return SIZES;
    }
}
