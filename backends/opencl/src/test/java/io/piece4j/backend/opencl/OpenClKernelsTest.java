package io.piece4j.backend.opencl;

import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.RopeLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernels of both device profiles (the CPU one and the GPU one, both run here on whatever driver is
 * installed) against the reference backend, on tensors that are views at an offset inside a larger
 * buffer whose margins hold a sentinel: results within tolerance, nothing written outside the view.
 * Tolerance |x - ref| <= 2e-5 * max(1, max |ref|), times sqrt(length) of the longest sum involved.
 * The backend-wide conformance suite (tests module) covers the kernels at offset 0 on the selected device.
 */
class OpenClKernelsTest {
    private static final int MARGIN = 13;
    private static final float SENTINEL = -7777.25f;
    private static final RefBackend REF = new RefBackend();
    private static OpenClBackend cpuProfile, gpuProfile;

    @BeforeAll
    static void open() {
        OpenClBackendProvider p = new OpenClBackendProvider();
        assumeTrue(p.isAvailable(), () -> "no OpenCL driver here, skipped: " + p.unavailableReason());
        cpuProfile = new OpenClBackend(OpenClDevices.selected(), DeviceProfile.CPU, false);
        gpuProfile = new OpenClBackend(OpenClDevices.selected(), DeviceProfile.GPU, false);
    }

    @AfterAll
    static void close() {
        if (cpuProfile != null) cpuProfile.close();
        if (gpuProfile != null) gpuProfile.close();
    }

    private static OpenClBackend backend(String profile) { return profile.equals("cpu") ? cpuProfile : gpuProfile; }

    /** Input arrays, placed at offset MARGIN in a storage MARGIN larger on each side (sentinels around) on the backend under test. */
    private record Case(float[][] data) {
        Tensor[] on(Backend be, boolean withMargins) {
            Tensor[] t = new Tensor[data.length];
            for (int i = 0; i < data.length; i++) {
                int n = data[i].length, m = withMargins ? MARGIN : 0;
                Tensor whole = Tensor.full(be, SENTINEL, n + 2 * m);
                t[i] = Tensor.view(whole.storage(), m, n);
                t[i].copyFrom(data[i]);
            }
            return t;
        }
    }

    private static Case random(long seed, float lo, float hi, int... sizes) {
        Rng rng = new Rng(seed);
        float[][] d = new float[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            d[i] = new float[sizes[i]];
            for (int j = 0; j < sizes[i]; j++) d[i][j] = lo + (hi - lo) * rng.nextFloat();
        }
        return new Case(d);
    }

    /** Runs kernel on both backends and compares the outputs (indices into the inputs) and the margins. */
    private static void check(String what, Backend be, Case c, Function<Tensor[], Object> kernel, double tolScale, int... outputs) {
        Tensor[] mine = c.on(be, true), ref = c.on(REF, false);
        Object a = kernel.apply(mine), b = kernel.apply(ref);
        if (a instanceof Double x && b instanceof Double y) {
            assertTrue(Math.abs(x - y) <= 2e-5 * Math.max(1, Math.abs(y)), what + ": result " + x + " vs ref " + y);
        }
        for (Tensor t : mine) {
            float[] whole = Tensor.view(t.storage(), 0, (int) t.storage().size()).toArray();
            for (int i = 0; i < MARGIN; i++) {
                int at = i;
                assertTrue(whole[i] == SENTINEL && whole[whole.length - 1 - i] == SENTINEL,
                        () -> what + ": a kernel wrote outside its view (margin element " + at + ")");
            }
        }
        for (int o : outputs) {
            float[] got = mine[o].toArray(), want = ref[o].toArray();
            double max = 1;
            for (float w : want) max = Math.max(max, Math.abs(w));
            double tol = tolScale * max;
            for (int i = 0; i < got.length; i++) {
                double err = Math.abs((double) got[i] - want[i]);
                int at = i;
                assertTrue(err <= tol, () -> what + " output #" + o + " element " + at + ": " + got[at] + " vs ref " + want[at]
                        + " (error " + err + " > " + tol + ")");
            }
        }
    }

    @ParameterizedTest(name = "{0} profile")
    @ValueSource(strings = {"cpu", "gpu"})
    void matmulOnViewsWithEdgesTransposesAndBatches(String profile) {
        Backend be = backend(profile);
        int[][] shapes = {{19, 37, 23}, {64, 48, 80}, {8, 16, 5}, {9, 17, 1}, {1, 33, 7}, {70, 130, 65}};
        long seed = 1;
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (boolean ta : new boolean[] {false, true}) for (boolean tb : new boolean[] {false, true}) for (boolean acc : new boolean[] {false, true}) {
                check(profile + " matmul " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " acc=" + acc, be,
                        random(seed++, -1, 1, m * k, k * n, m * n),
                        t -> { t[0].backend().matmul(t[0], ta, t[1], tb, t[2], 1, m, n, k, 0, acc); return null; }, 2e-5 * Math.sqrt(k), 2);
            }
        }
        for (boolean tb : new boolean[] {false, true}) {
            for (long strideB : new long[] {0, 17 * 11}) {
                int batch = 3, m = 20, n = 17, k = 11;
                check(profile + " batched matmul tb=" + tb + " strideB=" + strideB, be, random(seed++, -1, 1, batch * m * k, batch * k * n, batch * m * n),
                        t -> { t[0].backend().matmul(t[0], false, t[1], tb, t[2], batch, m, n, k, strideB, true); return null; }, 2e-5 * Math.sqrt(k), 2);
            }
        }
    }

    @ParameterizedTest(name = "{0} profile")
    @ValueSource(strings = {"cpu", "gpu"})
    void rowKernelsOnViews(String profile) {
        Backend be = backend(profile);
        for (int[] rc : new int[][] {{1, 1}, {5, 300}, {33, 17}}) {
            int rows = rc[0], cols = rc[1];
            double tol = 2e-5 * Math.sqrt(cols * rows);
            check(profile + " softmax " + rows + "x" + cols, be, random(rows, -5, 5, rows * cols, rows * cols, rows * cols, rows * cols),
                    t -> { t[0].backend().softmax(t[0], t[1], rows, cols); t[0].backend().softmaxBackward(t[1], t[2], t[3], rows, cols); return null; },
                    tol, 1, 3);
            check(profile + " rmsnorm " + rows + "x" + cols, be, random(cols, -2, 2, rows * cols, cols, rows * cols, rows, rows * cols, rows * cols, cols),
                    t -> {
                        Backend k = t[0].backend();
                        k.rmsnorm(t[0], t[1], t[2], t[3], rows, cols, 1e-5f);
                        k.rmsnormBackward(t[0], t[1], t[3], t[4], t[5], t[6], rows, cols);
                        return null;
                    }, tol, 2, 3, 5, 6);
            int[] targets = new int[rows];
            for (int r = 0; r < rows; r++) targets[r] = r % 3 == 1 ? -1 : (r * 7) % cols;
            check(profile + " cross-entropy " + rows + "x" + cols, be, random(3, -6, 6, rows * cols, rows * cols, rows * cols),
                    t -> {
                        double loss = t[0].backend().crossEntropy(t[0], targets, t[1], rows, cols);
                        t[0].backend().crossEntropyBackward(t[1], targets, t[2], rows, cols, 0.5f);
                        return loss;
                    }, tol, 1, 2);
        }
    }

    @ParameterizedTest(name = "{0} profile")
    @ValueSource(strings = {"cpu", "gpu"})
    void attentionAndRopeOnViews(String profile) {
        Backend be = backend(profile);
        int batch = 2, seq = 9, heads = 4, kvHeads = 2, hd = 6;
        int qn = batch * seq * heads * hd, kn = batch * seq * kvHeads * hd, pn = batch * heads * seq * seq;
        check(profile + " attention", be, random(7, -1, 1, qn, kn, kn, qn, pn, qn, qn, kn, kn), t -> {
            Backend k = t[0].backend();
            k.attention(t[0], t[1], t[2], t[3], t[4], batch, seq, seq, seq, heads, kvHeads, hd);
            k.attentionBackward(t[0], t[1], t[2], t[4], t[5], t[6], t[7], t[8], batch, seq, seq, heads, kvHeads, hd);
            return null;
        }, 2e-5 * Math.sqrt(seq * hd), 3, 4, 6, 7, 8);
        int maxSeq = 16, half = hd / 2;
        float[] cos = new float[maxSeq * half], sin = new float[maxSeq * half];
        for (int p = 0; p < maxSeq; p++) for (int i = 0; i < half; i++) {
            cos[p * half + i] = (float) Math.cos(p * Math.pow(10000, -2.0 * i / hd));
            sin[p * half + i] = (float) Math.sin(p * Math.pow(10000, -2.0 * i / hd));
        }
        Case rc = random(8, -1, 1, qn, qn);
        Case withTables = new Case(new float[][] {rc.data()[0], rc.data()[1], cos, sin});
        for (RopeLayout layout : RopeLayout.values()) {
            check(profile + " rope " + layout, be, withTables, t -> {
                t[0].backend().rope(t[0], t[1], t[2], t[3], batch, seq, heads, hd, 3, layout, false, true);
                t[0].backend().rope(t[1], t[1], t[2], t[3], batch, seq, heads, hd, 3, layout, true, false);
                return null;
            }, 2e-5, 1);
        }
    }

    @ParameterizedTest(name = "{0} profile")
    @ValueSource(strings = {"cpu", "gpu"})
    void pieceKernelsOnViews(String profile) {
        Backend be = backend(profile);
        int n = 9000; // more than two chunks of the sum of squares
        int[] idx = java.util.stream.IntStream.range(0, n).filter(i -> i % 3 == 0 || i % 7 == 1).toArray();
        check(profile + " sumOfSquaresAt", be, random(9, -1, 1, n), t -> t[0].backend().sumOfSquaresAt(t[0], idx), 0);
        check(profile + " sumOfSquares", be, random(10, -1, 1, n), t -> t[0].backend().sumOfSquares(t[0]), 0);
        check(profile + " accumulateMoments", be, random(11, -1, 1, n, n, n),
                t -> { t[0].backend().accumulateMoments(t[0], t[1], t[2]); return null; }, 2e-5, 1, 2);
        Case ad = random(12, -1, 1, n, n, idx.length, idx.length);
        for (int i = 0; i < idx.length; i++) ad.data()[3][i] = Math.abs(ad.data()[3][i]);
        check(profile + " maskedAdamw", be, ad, t -> {
            t[0].backend().maskedAdamw(t[0], t[1], idx, t[2], t[3], 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f, 0.5f);
            return null;
        }, 2e-5, 0, 2, 3);
        int tokens = 37, outDim = 23, inDim = 29;
        int[] local = java.util.stream.IntStream.range(0, outDim * inDim).filter(i -> i % 5 == 2).toArray();
        check(profile + " sampledMatmul", be, random(13, -1, 1, tokens * outDim, tokens * inDim, outDim * inDim), t -> {
            t[0].backend().sampledMatmul(t[0], t[1], local, t[2], tokens, outDim, inDim);
            return null;
        }, 2e-5 * Math.sqrt(tokens), 2);
        int vocab = 11, dim = 5;
        int[] ids = {3, 0, 3, 10, 3, 7};
        check(profile + " embedding", be, random(14, -1, 1, vocab * dim, ids.length * dim, ids.length * dim, vocab * dim), t -> {
            t[0].backend().embedding(t[0], ids, t[1], dim);
            t[0].backend().embeddingBackward(t[2], ids, t[3], dim);
            return null;
        }, 2e-5 * Math.sqrt(ids.length), 1, 3);
    }

    @ParameterizedTest(name = "{0} profile")
    @ValueSource(strings = {"cpu", "gpu"})
    void anIndexArrayChangedInPlaceIsUploadedAgain(String profile) {
        Backend be = backend(profile);
        Tensor x = Tensor.of(be, new float[] {1, 2, 3, 4}, 4);
        int[] idx = {0, 1};
        assertEquals(5.0, be.sumOfSquaresAt(x, idx), "1 + 4");
        idx[1] = 3; // same array object, new contents
        assertEquals(17.0, be.sumOfSquaresAt(x, idx), "1 + 16 after the array changed");
        assertEquals(Arrays.toString(new float[] {1, 2, 3, 4}), Arrays.toString(x.toArray()));
    }
}
