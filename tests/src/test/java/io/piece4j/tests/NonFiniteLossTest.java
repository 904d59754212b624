package io.piece4j.tests;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.Mask;
import io.piece4j.piece.NonFiniteException;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainer;
import io.piece4j.piece.train.TrainingCheckpoint;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A NaN loss, or an infinite gradient under a finite loss, stops training with a clear message before the update;
 * the last good checkpoint holds exactly the weights of a run stopped at its step, and the model in memory those of a
 * run stopped at the last completed step.
 */
class NonFiniteLossTest {
    /** One micro-batch per optimizer step, a checkpoint every 2 steps. */
    private static TrainSettings settings() {
        return new TrainSettings(3, 1e-2f, "constant", 0, 2, 1, 1.0, 0.9f, 0.95f, 1e-8f, 0f, 1, 2, false);
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }

    /** The parameters of the same run stopped after `steps` optimizer steps. */
    private static float[] referenceStoppedAfter(long steps) {
        LlamaModel m = TinyModels.model(new RefBackend(), 5);
        new Trainer(m, ResumeTrainingMain.mask(m), settings(), ResumeTrainingMain.data(), "reference", null).stopAfter(steps).run(false);
        return m.parameters().toArray();
    }

    @Test
    void nanLossStopsTheRunAndLeavesTheLastGoodCheckpoint() throws Exception {
        Path ckpt = Files.createTempDirectory("nan").resolve("run.ckpt");
        LlamaModel m = TinyModels.model(new RefBackend(), 5);
        Mask mask = ResumeTrainingMain.mask(m);
        long norm = m.layout().get("layers.1.mlp_norm").offset();
        Trainer t = new Trainer(m, mask, settings(), ResumeTrainingMain.data(), "nan-test", ckpt).onProgress((step, total, loss, lr, tok, sec) -> {
            // after step 3 (no checkpoint: they come every 2 steps) a weight goes bad, as a diverging run would
            if (step == 3) m.parameters().rowsNoGrad((int) norm, 1).copyFrom(new float[] {Float.NaN});
        });
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> t.run(false));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("nan-test") && e.getMessage().contains(ckpt.toString()),
                e.getMessage());
        TrainingCheckpoint.Loaded last = TrainingCheckpoint.read(ckpt);
        assertEquals(2, last.state().optimizerStep(), "the checkpoint of step 2 is the last good one");
        assertArrayEquals(bits(referenceStoppedAfter(2)), bits(last.params()), "the kept checkpoint vs a run stopped after step 2");
    }

    @Test
    void infiniteGradientUnderAFiniteLossStopsBeforeTheUpdate() throws Exception {
        Path ckpt = Files.createTempDirectory("inf").resolve("run.ckpt");
        LlamaModel m = TinyModels.model(new RefBackend(), 5);
        Mask mask = ResumeTrainingMain.mask(m);
        AtomicLong stepsDone = new AtomicLong();
        int corrupted = mask.indices()[mask.size() / 2];
        Trainer t = new Trainer(m, mask, settings(), ResumeTrainingMain.data(), "inf-test", ckpt)
                .onProgress((step, total, loss, lr, tok, sec) -> {
                    assertTrue(Double.isFinite(loss), "every loss of this run is finite, got " + loss + " at step " + step);
                    stepsDone.set(step);
                })
                // during step 5 (after the checkpoint of step 4), one masked coordinate's gradient overflows
                .afterBackward(g -> { if (stepsDone.get() == 4) g.rowsNoGrad(corrupted, 1).copyFrom(new float[] {Float.POSITIVE_INFINITY}); });
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> t.run(false));
        assertTrue(e.getMessage().contains("gradient norm is Infinity") && e.getMessage().contains("inf-test")
                && e.getMessage().contains(ckpt.toString()), e.getMessage());
        assertEquals(4, stepsDone.get(), "the run stops at step 5, before its update");
        assertArrayEquals(bits(referenceStoppedAfter(4)), bits(m.parameters().toArray()),
                "the parameters in memory are those after step 4: step 5 updated nothing");
        TrainingCheckpoint.Loaded last = TrainingCheckpoint.read(ckpt);
        assertEquals(4, last.state().optimizerStep(), "the checkpoint of step 4 is the last good one");
        assertArrayEquals(bits(referenceStoppedAfter(4)), bits(last.params()), "the kept checkpoint vs a run stopped after step 4");
    }
}
