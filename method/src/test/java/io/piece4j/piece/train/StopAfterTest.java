package io.piece4j.piece.train;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run stopped after N steps is the start of the whole run, and resumes to the whole run's weights. */
class StopAfterTest {
    private static final LlamaConfig TINY = new LlamaConfig(16, 1, 2, 2, 8, 24, 259, 32, 1e-5f, 10000f, false,
            LlamaConfig.RopeLayout.INTERLEAVED, null);

    private static String corpus() {
        Rng rng = new Rng(5);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            for (int j = 0, n = 10 + rng.nextInt(30); j < n; j++) sb.append((char) ('a' + rng.nextInt(6)));
            sb.append("\n\n");
        }
        return sb.toString();
    }

    private static LlamaModel model(long seed) {
        LlamaModel m = new LlamaModel(TINY, new RefBackend());
        m.initRandom(seed, 0.1f);
        return m;
    }

    @Test
    void stoppingKeepsTheWholeRunsScheduleAndResumingFinishesIt() throws Exception {
        int steps = 6;
        TextChunks data = new TextChunks(corpus(), TextChunks.Documents.PARAGRAPH, new ByteTokenizer(), 32, 2, 9, steps);
        TrainSettings settings = new TrainSettings(data.epochs(), 1e-2f, "cosine", 2, 2, 1, 1.0, 0.9f, 0.95f, 1e-8f, 0f, 9, 0, false);
        Path dir = Files.createTempDirectory("stop-after");

        LlamaModel whole = model(1);
        Trainer.Result all = new Trainer(whole, (io.piece4j.piece.Mask) null, settings, data, "lm", dir.resolve("whole.ckpt")).run(false);
        assertEquals(steps, all.steps());

        LlamaModel part = model(1);
        Path ckpt = dir.resolve("part.ckpt");
        Trainer.Result first = new Trainer(part, (io.piece4j.piece.Mask) null, settings, data, "lm", ckpt).stopAfter(2).run(false);
        assertEquals(2, first.steps(), "optimizer steps before the stop");
        assertEquals(all.losses().subList(0, 2), first.losses(), "the first steps' losses, bit for bit (cosine over all 6 steps, not 2)");
        assertTrue(Files.exists(ckpt), "stopping writes a checkpoint");

        LlamaModel resumed = model(2); // other weights: only the checkpoint can give the expected result
        Trainer.Result rest = new Trainer(resumed, (io.piece4j.piece.Mask) null, settings, data, "lm", ckpt).run(true);
        assertTrue(rest.resumed());
        assertEquals(steps, rest.steps());
        assertEquals(all.losses(), rest.losses(), "losses of the stopped-and-resumed run");
        assertArrayEquals(whole.parameters().toArray(), resumed.parameters().toArray(), "weights after the whole run");

        List<Double> again = new Trainer(model(2), (io.piece4j.piece.Mask) null, settings, data, "lm", ckpt).stopAfter(6).run(true).losses();
        assertEquals(all.losses(), again, "resuming at the stop trains no further step");
    }
}
