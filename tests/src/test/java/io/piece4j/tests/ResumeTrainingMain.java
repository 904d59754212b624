package io.piece4j.tests;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.Mask;
import io.piece4j.piece.train.EpochData;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.cpu.RefBackend;

import java.nio.file.Path;

/**
 * The training run that {@link KillAndResumeTest} kills: a tiny Llama trained on fixed random batches
 * with a checkpoint after every optimizer step. Prints "step N" after each step and sleeps a little so
 * the test can kill it mid-run. Also used in-process to produce the uninterrupted and resumed results.
 */
public final class ResumeTrainingMain {
    static final int EPOCHS = 3, BATCHES = 8;

    static TrainSettings settings() {
        return new TrainSettings(EPOCHS, 2e-2f, "cosine", 3, 2, 2, 1.0, 0.9f, 0.95f, 1e-8f, 0f, 99, 1, false);
    }

    static EpochData data() {
        return epoch -> {
            io.piece4j.tensor.Rng rng = new io.piece4j.tensor.Rng(1000 + epoch);
            java.util.List<io.piece4j.piece.TokenBatch> list = new java.util.ArrayList<>();
            for (int i = 0; i < BATCHES; i++) list.add(TinyModels.batch(rng, 2, 10, 67, 2));
            return list;
        };
    }

    static Mask mask(LlamaModel m) {
        int[] idx = java.util.stream.IntStream.range(0, (int) m.layout().size()).filter(i -> i % 97 == 5 && i > 67 * 32).toArray();
        return new Mask(idx, m.layout().size(), m.layout().size() - 67 * 32, 0.01, "every-97th", "resume-test", "", 0, 0);
    }

    /** Trains to the end (resuming from ckpt if it exists) and returns the final parameters. */
    static float[] train(Path ckpt, boolean resume, long sleepMillisPerStep) {
        LlamaModel m = TinyModels.model(new RefBackend(), 5);
        Trainer t = new Trainer(m, mask(m), settings(), data(), "resume-test", ckpt).onProgress((step, total, loss, lr, tok, s) -> {
            if (sleepMillisPerStep > 0) { // only the killed subprocess reports progress
                System.out.println("step " + step);
                System.out.flush();
                try { Thread.sleep(sleepMillisPerStep); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
            }
        });
        t.run(resume);
        return m.parameters().toArray();
    }

    public static void main(String[] args) {
        train(Path.of(args[0]), true, Long.parseLong(args[1]));
    }
}
