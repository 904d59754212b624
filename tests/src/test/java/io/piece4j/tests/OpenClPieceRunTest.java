package io.piece4j.tests;

import io.piece4j.backend.opencl.OpenClBackend;
import io.piece4j.backend.opencl.OpenClBackendProvider;
import io.piece4j.backend.opencl.Transfers;
import io.piece4j.backend.simd.SimdBackend;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An end-to-end PIECE-S run (importance pass, global top-k mask, 20 masked AdamW steps with sparse
 * weight gradients and clipping) on the OpenCL backend against the same run on simd, from the same
 * model and data:
 * <ul>
 * <li>scores agree within 2e-5 of the largest score;</li>
 * <li>the masks are the same, except where a score lies within that tolerance of the k-th score (a tie
 *     the two backends may break differently);</li>
 * <li>the loss curves agree within 5e-6 relative;</li>
 * <li>on OpenCL only masked coordinates change, bit for bit;</li>
 * <li>a steady-state masked step moves only scalars and index lists between host and device: no tensor
 *     of the model's size crosses.</li>
 * </ul>
 * Skipped, with the reason, where no OpenCL driver is installed.
 */
class OpenClPieceRunTest {
    /** Measured on PoCL: scores within 1.2e-6 of the largest score, losses within 1.2e-7 relative; the bounds are about 20x and 40x that. */
    private static final double SCORE_TOLERANCE = 2e-5, LOSS_TOLERANCE = 5e-6;
    private static final int STEPS = 20;

    @BeforeAll
    static void needsOpenCl() {
        OpenClBackendProvider p = new OpenClBackendProvider();
        // CI names opencl in piece.expect.backends when it installed PoCL: then a missing driver fails, not skips
        if (TestBackends.expected().contains("opencl"))
            assertTrue(p.isAvailable(), () -> "expected backend 'opencl' is not available: " + p.unavailableReason());
        assumeTrue(p.isAvailable(), () -> "no OpenCL driver here, skipped: " + p.unavailableReason());
    }

    /** What one run produced. */
    private record Run(float[] scores, Mask mask, float[] losses, float[] start, float[] end, List<Transfers.Snapshot> stepTransfers) {}

    private static List<TokenBatch> data() {
        Rng rng = new Rng(31);
        List<TokenBatch> d = new ArrayList<>();
        for (int i = 0; i < 3; i++) d.add(TinyModels.batch(rng, 3, 20, 67, 4));
        return d;
    }

    private static Run run(io.piece4j.tensor.spi.Backend be) {
        LlamaModel model = TinyModels.model(be, 29);
        List<TokenBatch> data = data();
        ImportanceEstimation.Result imp = ImportanceEstimation.run(model, data, Estimator.PIECE_S, 0.01, "t", 3);
        float[] g = imp.moments().g().toArray(), h = imp.moments().h().toArray();
        float[] scores = new float[g.length];
        for (int i = 0; i < g.length; i++) scores[i] = Estimator.PIECE_S.score(g[i], h[i]);
        Mask mask = imp.mask();
        float[] start = model.parameters().toArray();
        model.setTrainableIndices(mask.indices());
        MaskedAdamW opt = new MaskedAdamW(model.parameters(), model.gradients(), mask, MaskedAdamW.Settings.piece());
        float[] losses = new float[STEPS];
        List<Transfers.Snapshot> perStep = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
            TokenBatch b = data.get(step % data.size());
            Transfers.Snapshot before = be instanceof OpenClBackend o ? o.transfers().snapshot() : null;
            model.gradients().zero();
            var loss = model.loss(b.tokens(), b.targets(), b.batch(), b.seq());
            loss.backward();
            opt.step(1e-2f);
            losses[step] = loss.item();
            if (before != null) perStep.add(((OpenClBackend) be).transfers().snapshot().minus(before));
        }
        return new Run(scores, mask, losses, start, model.parameters().toArray(), perStep);
    }

    private static Run simd, opencl;

    private static synchronized void runBoth() {
        if (simd != null) return;
        try (SimdBackend s = new SimdBackend(2)) { simd = run(s); }
        try (OpenClBackend o = new OpenClBackend()) { opencl = run(o); }
    }

    @Test
    void importanceScoresAgreeWithSimd() {
        runBoth();
        double max = 0;
        for (float s : simd.scores) max = Math.max(max, s);
        double tol = SCORE_TOLERANCE * max;
        for (int i = 0; i < simd.scores.length; i++) {
            int at = i;
            double err = Math.abs(opencl.scores[i] - simd.scores[i]);
            assertTrue(err <= tol, () -> "PIECE-S score " + at + ": opencl " + opencl.scores[at] + " vs simd " + simd.scores[at]
                    + " (difference " + err + " > " + tol + ")");
        }
    }

    @Test
    void theMaskIsSimdsExceptForTiesAtTheThreshold() {
        runBoth();
        assertEquals(simd.mask.size(), opencl.mask.size(), "k");
        double max = 0;
        for (float s : simd.scores) max = Math.max(max, s);
        double tol = SCORE_TOLERANCE * max;
        float threshold = Float.POSITIVE_INFINITY;
        for (int i : simd.mask.indices()) threshold = Math.min(threshold, simd.scores[i]);
        Set<Integer> a = new HashSet<>(), b = new HashSet<>();
        for (int i : simd.mask.indices()) a.add(i);
        for (int i : opencl.mask.indices()) b.add(i);
        Set<Integer> differ = new HashSet<>(a);
        differ.addAll(b);
        Set<Integer> both = new HashSet<>(a);
        both.retainAll(b);
        differ.removeAll(both);
        for (int i : differ) {
            double off = Math.abs(simd.scores[i] - threshold);
            float th = threshold;
            assertTrue(off <= tol, () -> "coordinate " + i + " is in one mask only, but its score " + simd.scores[i]
                    + " is " + off + " from the threshold " + th + " (more than the tolerance " + tol + ")");
        }
        assertTrue(differ.size() <= simd.mask.size() / 10, () -> differ.size() + " of " + simd.mask.size() + " masked coordinates differ");
    }

    @Test
    void theLossCurveFollowsSimds() {
        runBoth();
        int first = (STEPS - 1) % 3; // the first step on the batch the last step sees again
        assertTrue(simd.losses[STEPS - 1] < simd.losses[first], () -> "the masked steps should lower the loss on a batch seen again: "
                + java.util.Arrays.toString(simd.losses));
        for (int s = 0; s < STEPS; s++) {
            int at = s;
            double err = Math.abs(opencl.losses[s] - simd.losses[s]);
            assertTrue(err <= LOSS_TOLERANCE * Math.max(1, Math.abs(simd.losses[s])), () -> "loss at step " + at + ": opencl "
                    + opencl.losses[at] + " vs simd " + simd.losses[at] + " (difference " + err + ")");
        }
    }

    @Test
    void onlyMaskedCoordinatesChangeOnOpenCl() {
        runBoth();
        int moved = 0;
        for (int i = 0; i < opencl.start.length; i++) {
            boolean same = Float.floatToRawIntBits(opencl.start[i]) == Float.floatToRawIntBits(opencl.end[i]);
            if (!opencl.mask.contains(i)) {
                int at = i;
                assertTrue(same, () -> "parameter " + at + " is outside the mask but changed: " + opencl.start[at] + " -> " + opencl.end[at]);
            } else if (!same) moved++;
        }
        assertEquals(opencl.mask.size(), moved, "every masked coordinate should move in " + STEPS + " steps");
    }

    @Test
    void aMaskedStepMovesOnlyScalarsAndIndicesBetweenHostAndDevice() {
        runBoth();
        long parameterBytes = (long) opencl.start.length * Float.BYTES;
        // after the first pass over the data every index list is on the device; look at the steps after it
        for (int s = 3; s < STEPS; s++) {
            Transfers.Snapshot t = opencl.stepTransfers.get(s);
            int at = s;
            // reads: the per-row losses, the loss itself, the loss gradient seed, the masked gradient norm's partial sums
            assertTrue(t.toHostCalls() <= 4 && t.toHostBytes() < 4096, () -> "step " + at + " read back too much: " + t);
            // writes: the loss value and the targets (copied by the loss op every step); nothing the size of the model
            assertTrue(t.toDeviceBytes() < parameterBytes / 10, () -> "step " + at + " uploaded too much: " + t
                    + " (the model is " + parameterBytes + " bytes)");
        }
    }
}
