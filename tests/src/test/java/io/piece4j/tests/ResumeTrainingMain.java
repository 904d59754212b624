package io.piece4j.tests;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.Mask;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.train.EpochData;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.cpu.RefBackend;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The training runs that {@link KillAndResumeTest} kills, with a checkpoint after every optimizer step:
 * <ul>
 *   <li>SMALL: the golden model's shape under a sparse mask; prints "step N" after each step and sleeps a little so the
 *       test can kill it between steps;</li>
 *   <li>LARGE: a model of 543 000 parameters trained fully (so a checkpoint holds parameters and two moments for
 *       each, 8.7 MB), for killing in the middle of a checkpoint write.</li>
 * </ul>
 * Also used in-process for the uninterrupted and the resumed runs. The initial weights come from a seed given to
 * each run, so a resumed run can start from other weights than the killed one: only the checkpoint makes it end
 * where the uninterrupted run ends.
 */
public final class ResumeTrainingMain {
    enum Size { SMALL, LARGE }

    static final int EPOCHS = 3, BATCHES = 8;
    static final long TRAINED_SEED = 5, OTHER_SEED = 77;

    static TrainSettings settings() {
        return new TrainSettings(EPOCHS, 2e-2f, "cosine", 3, 2, 2, 1.0, 0.9f, 0.95f, 1e-8f, 0f, 99, 1, false);
    }

    /** LARGE: most of its 543 000 parameters are the embeddings and the head, which cost little per token. */
    static LlamaConfig config(Size size) {
        return size == Size.SMALL ? TinyModels.config()
                : new LlamaConfig(64, 1, 4, 2, 16, 96, 4000, 16, 1e-5f, 10000f, false, LlamaConfig.RopeLayout.INTERLEAVED, null);
    }

    /** Optimizer steps of a whole run: BATCHES micro-batches per epoch, 2 per step. */
    static int totalSteps() {
        return EPOCHS * BATCHES / settings().accumulation();
    }

    static EpochData data(Size size) {
        int vocab = config(size).vocabSize();
        return epoch -> {
            Rng rng = new Rng(1000 + epoch);
            List<TokenBatch> list = new ArrayList<>();
            for (int i = 0; i < BATCHES; i++) list.add(TinyModels.batch(rng, 2, 10, vocab, 2));
            return list;
        };
    }

    static EpochData data() { return data(Size.SMALL); }

    /** A sparse mask of every 97th parameter past the embeddings (SMALL); LARGE trains everything (null). */
    static Mask mask(LlamaModel m) {
        int emb = m.config().vocabSize() * m.config().dim();
        int[] idx = IntStream.range(0, (int) m.layout().size()).filter(i -> i % 97 == 5 && i > emb).toArray();
        return new Mask(idx, m.layout().size(), m.layout().size() - emb, 0.01, "every-97th", "resume-test", "", 0, 0);
    }

    /** A run's outcome: what the trainer reported and the final parameters. */
    record Run(Trainer.Result result, float[] params) {}

    /** Trains to the end from weights drawn with initSeed, resuming from ckpt if asked and it exists. */
    static Run train(Size size, Path ckpt, boolean resume, long initSeed, long sleepMillisPerStep) {
        LlamaModel m = new LlamaModel(config(size), new RefBackend());
        m.initRandom(initSeed, 0.15f);
        Trainer t = new Trainer(m, size == Size.SMALL ? mask(m) : null, settings(), data(size), "resume-test", ckpt)
                .onProgress((step, total, loss, lr, tok, s) -> {
                    if (sleepMillisPerStep > 0) { // only the killed subprocess reports progress
                        System.out.println("step " + step);
                        System.out.flush();
                        try { Thread.sleep(sleepMillisPerStep); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                    }
                });
        Trainer.Result r = t.run(resume);
        return new Run(r, m.parameters().toArray());
    }

    /** args: SMALL|LARGE, checkpoint path, sleep (ms) after each step. Always resumes if the checkpoint exists. */
    public static void main(String[] args) {
        train(Size.valueOf(args[0]), Path.of(args[1]), true, TRAINED_SEED, Long.parseLong(args[2]));
    }
}
