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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A loss that becomes NaN stops training with a clear message, and the last good checkpoint stays loadable. */
class NonFiniteLossTest {
    @Test
    void nanLossStopsTheRunAndLeavesTheLastGoodCheckpoint() throws Exception {
        Path ckpt = Files.createTempDirectory("nan").resolve("run.ckpt");
        LlamaModel m = TinyModels.model(new RefBackend(), 5);
        Mask mask = ResumeTrainingMain.mask(m);
        TrainSettings s = new TrainSettings(3, 1e-2f, "constant", 0, 2, 1, 1.0, 0.9f, 0.95f, 1e-8f, 0f, 1, 2, false);
        long norm = m.layout().get("layers.1.mlp_norm").offset();
        Trainer t = new Trainer(m, mask, s, ResumeTrainingMain.data(), "nan-test", ckpt).onProgress((step, total, loss, lr, tok, sec) -> {
            // after step 3 (no checkpoint: they come every 2 steps) a weight goes bad, as a diverging run would
            if (step == 3) m.parameters().rowsNoGrad((int) norm, 1).copyFrom(new float[] {Float.NaN});
        });
        NonFiniteException e = assertThrows(NonFiniteException.class, () -> t.run(false));
        assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("nan-test") && e.getMessage().contains(ckpt.toString()),
                e.getMessage());
        TrainingCheckpoint.Loaded last = TrainingCheckpoint.read(ckpt);
        assertEquals(2, last.state().optimizerStep(), "the checkpoint of step 2 is the last good one");
        for (float v : last.params()) assertTrue(Float.isFinite(v), "the checkpoint holds only finite weights");
    }
}
