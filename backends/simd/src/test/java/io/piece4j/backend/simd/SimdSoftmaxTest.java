package io.piece4j.backend.simd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static io.piece4j.backend.simd.KernelCheck.check;
import static io.piece4j.backend.simd.KernelCheck.gaussian;

/** Row softmax and softmax cross-entropy of the SIMD backend against the reference. */
class SimdSoftmaxTest {
    /** (rows, cols): awkward widths, a vocabulary-sized row, and 300 rows of 65 that span two blocks. */
    static Stream<int[]> shapes() {
        return Stream.of(new int[]{1, 1}, new int[]{3, 7}, new int[]{4, 33}, new int[]{2, 65}, new int[]{5, 257},
                new int[]{3, 1000}, new int[]{300, 65});
    }

    @ParameterizedTest(name = "({0})")
    @MethodSource("shapes")
    void softmaxMatchesReference(int[] shape) {
        int rows = shape[0], cols = shape[1];
        float[] x = gaussian(new Random(rows * 31L + cols), rows * cols, 4);
        check("softmax (" + rows + ", " + cols + ")", t -> t.backend.softmax(t.in(x, rows, cols),
                t.out("y", new float[rows * cols], rows, cols), rows, cols));
    }

    @Test
    void softmaxGivesZeroWeightToMinusInfinityAndWorksInPlace() {
        int rows = 2, cols = 37;
        float[] x = gaussian(new Random(5), rows * cols, 1);
        for (int j = 3; j < cols; j += 4) x[j] = Float.NEGATIVE_INFINITY;
        check("softmax in place with -inf", t -> {
            var xy = t.out("xy", x, rows, cols);
            t.backend.softmax(xy, xy, rows, cols);
        });
    }

    @ParameterizedTest(name = "({0})")
    @MethodSource("shapes")
    void softmaxBackwardMatchesReference(int[] shape) {
        int rows = shape[0], cols = shape[1];
        Random rng = new Random(rows * 31L + cols + 1);
        float[] y = new float[rows * cols];
        float[] logits = gaussian(rng, rows * cols, 2);
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.exp(logits[r * cols + j]);
            for (int j = 0; j < cols; j++) y[r * cols + j] = (float) (Math.exp(logits[r * cols + j]) / sum);
        }
        float[] dy = gaussian(rng, rows * cols, 1), dx = gaussian(rng, rows * cols, 1);
        check("softmaxBackward (" + rows + ", " + cols + ")", t -> t.backend.softmaxBackward(t.in(y, rows, cols),
                t.in(dy, rows, cols), t.out("dx", dx, rows, cols), rows, cols));
    }

    /** Every third row has no target (-1): zero probabilities, no loss. */
    private static int[] targets(Random rng, int rows, int vocab) {
        int[] t = new int[rows];
        for (int r = 0; r < rows; r++) t[r] = r % 3 == 2 ? -1 : rng.nextInt(vocab);
        return t;
    }

    @ParameterizedTest(name = "({0})")
    @MethodSource("shapes")
    void crossEntropyMatchesReference(int[] shape) {
        int rows = shape[0], vocab = shape[1];
        Random rng = new Random(rows * 131L + vocab);
        float[] logits = gaussian(rng, rows * vocab, 3);
        int[] targets = targets(rng, rows, vocab);
        check("crossEntropy (" + rows + ", " + vocab + ")", t -> t.result("loss", t.backend.crossEntropy(
                t.in(logits, rows, vocab), targets, t.out("probs", new float[rows * vocab], rows, vocab), rows, vocab)));
    }

    @ParameterizedTest(name = "({0})")
    @MethodSource("shapes")
    void crossEntropyBackwardMatchesReference(int[] shape) {
        int rows = shape[0], vocab = shape[1];
        Random rng = new Random(rows * 131L + vocab + 1);
        float[] probs = KernelCheck.uniform(rng, rows * vocab, 0, 2f / vocab);
        float[] dLogits = gaussian(rng, rows * vocab, 0.01);
        int[] targets = targets(rng, rows, vocab);
        check("crossEntropyBackward (" + rows + ", " + vocab + ")", t -> t.backend.crossEntropyBackward(
                t.in(probs, rows, vocab), targets, t.out("dLogits", dLogits, rows, vocab), rows, vocab, 1f / rows));
    }
}
