package io.piece4j.backend.simd;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static io.piece4j.backend.simd.KernelCheck.check;
import static io.piece4j.backend.simd.KernelCheck.gaussian;

/** RMSNorm forward and backward of the SIMD backend against the reference. */
class SimdNormsTest {
    /** (rows, cols): awkward widths, and 300 rows of 65 that span two blocks of rows. */
    static Stream<int[]> shapes() {
        return Stream.of(new int[]{1, 1}, new int[]{3, 7}, new int[]{4, 33}, new int[]{2, 65}, new int[]{5, 257},
                new int[]{300, 65});
    }

    @ParameterizedTest(name = "({0})")
    @MethodSource("shapes")
    void rmsnormMatchesReference(int[] shape) {
        int rows = shape[0], cols = shape[1];
        Random rng = new Random(rows * 7919L + cols);
        float[] x = gaussian(rng, rows * cols, 2), w = gaussian(rng, cols, 1);
        check("rmsnorm (" + rows + ", " + cols + ")", t -> t.backend.rmsnorm(t.in(x, rows, cols), t.in(w, cols),
                t.out("y", new float[rows * cols], rows, cols), t.out("rstd", new float[rows], rows), rows, cols, 1e-5f));
    }

    @ParameterizedTest(name = "({0})")
    @MethodSource("shapes")
    void rmsnormInPlaceMatchesReference(int[] shape) {
        int rows = shape[0], cols = shape[1];
        Random rng = new Random(rows * 7919L + cols + 1);
        float[] x = gaussian(rng, rows * cols, 2), w = gaussian(rng, cols, 1);
        check("rmsnorm in place (" + rows + ", " + cols + ")", t -> {
            var xy = t.out("xy", x, rows, cols);
            t.backend.rmsnorm(xy, t.in(w, cols), xy, t.out("rstd", new float[rows], rows), rows, cols, 1e-5f);
        });
    }

    @ParameterizedTest(name = "({0})")
    @MethodSource("shapes")
    void rmsnormBackwardMatchesReference(int[] shape) {
        int rows = shape[0], cols = shape[1];
        Random rng = new Random(rows * 7919L + cols + 2);
        float[] x = gaussian(rng, rows * cols, 2), w = gaussian(rng, cols, 1), dy = gaussian(rng, rows * cols, 1);
        float[] rstd = new float[rows];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int j = 0; j < cols; j++) ss += (double) x[r * cols + j] * x[r * cols + j];
            rstd[r] = (float) (1 / Math.sqrt(ss / cols + 1e-5));
        }
        float[] dx = gaussian(rng, rows * cols, 1), dw = gaussian(rng, cols, 1);
        String what = "rmsnormBackward (" + rows + ", " + cols + ")";
        check(what, t -> t.backend.rmsnormBackward(t.in(x, rows, cols), t.in(w, cols), t.in(rstd, rows),
                t.in(dy, rows, cols), t.out("dx", dx, rows, cols), t.out("dWeight", dw, cols), rows, cols));
        check(what + " without dWeight", t -> t.backend.rmsnormBackward(t.in(x, rows, cols), t.in(w, cols), t.in(rstd, rows),
                t.in(dy, rows, cols), t.out("dx", dx, rows, cols), null, rows, cols));
    }
}
