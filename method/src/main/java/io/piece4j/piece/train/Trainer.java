package io.piece4j.piece.train;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.piece.NonFiniteException;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.ActivationArena;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.Elementwise;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains a model on one task: epochs of micro-batches, gradient accumulation to the effective batch,
 * clipping and AdamW on the trained coordinates (a PIECE mask, or every parameter for full fine-tuning),
 * a fresh optimizer, checkpoints every N steps and at each epoch's end, and resume from the last one.
 * The same model, data, mask and settings give bit-identical weights whether or not the run was
 * interrupted.
 */
public final class Trainer {
    /** Called after each optimizer step. */
    @FunctionalInterface
    public interface Progress {
        void step(long step, long totalSteps, double loss, double lr, long tokens, double seconds);
    }

    /**
     * Losses per optimizer step (mean over its micro-batches, those before a resume included), the optimizer steps in
     * all, the step the run started from (the checkpoint's when resumed, else 0), and timing of this run.
     */
    public record Result(List<Double> losses, long steps, long tokens, double seconds, boolean resumed, long startStep) {
        /** Optimizer steps this run made itself. */
        public long stepsRun() { return steps - startStep; }
    }

    private final LlamaModel model;
    private final Trainable trainable; // what the optimizer updates
    private final TrainSettings settings;
    private final EpochData data;
    private final String task;
    private final Path checkpoint;     // null = no checkpoints
    private Progress progress = (a, b, c, d, e, f) -> {};
    private java.util.function.Consumer<Tensor> afterBackward = g -> {};
    private long stopAfter = Long.MAX_VALUE;
    private TrainingHooks hooks = TrainingHooks.NONE;

    /** Trains the model's own parameters under mask (null = all of them: full fine-tuning). */
    public Trainer(LlamaModel model, Mask mask, TrainSettings settings, EpochData data, String task, Path checkpoint) {
        this(model, Trainable.ofModel(model, mask), settings, data, task, checkpoint);
    }

    public Trainer(LlamaModel model, Trainable trainable, TrainSettings settings, EpochData data, String task, Path checkpoint) {
        this.model = model;
        this.trainable = trainable;
        this.settings = settings;
        this.data = data;
        this.task = task;
        this.checkpoint = checkpoint;
    }

    public Trainer onProgress(Progress p) { this.progress = p; return this; }

    /**
     * Called after each micro-batch's backward pass with the flat gradient buffer (P, the parameter layout), before
     * the optimizer step: to inspect gradients, or to corrupt one in a test of the non-finite stop.
     */
    public Trainer afterBackward(java.util.function.Consumer<Tensor> hook) { this.afterBackward = hook; return this; }

    /**
     * Ends the run once the optimizer has made {@code steps} steps in all (counting those before a resume),
     * with a checkpoint, while the learning-rate schedule stays that of the whole run: the first steps of
     * a long run can be reproduced, and the run continued later with resume.
     */
    public Trainer stopAfter(long steps) {
        if (steps < 1) throw new IllegalArgumentException("stop-after must be >= 1, got " + steps);
        this.stopAfter = steps;
        return this;
    }

    /** A method's changes to the loss and the gradient (EWC, LwF, GEM, ...). */
    public Trainer withHooks(TrainingHooks h) { this.hooks = h; return this; }

    private static long stepsIn(int microBatches, int accumulation) {
        return (microBatches + accumulation - 1) / accumulation;
    }

    /** Runs to the end; with resume, continues from the checkpoint if there is one. */
    public Result run(boolean resume) {
        Tensor params = trainable.params();
        Tensor grads = trainable.grads();
        long p = trainable.size();
        Mask mask = trainable.mask();
        Mask trained = mask != null ? mask : fullMask(p);
        if (trainable.ofModel()) model.setTrainableIndices(mask == null || settings.denseGrad() ? null : mask.indices());
        MaskedAdamW opt = new MaskedAdamW(params, grads, trained,
                new MaskedAdamW.Settings(settings.beta1(), settings.beta2(), settings.eps(), settings.weightDecay(), settings.maxGradNorm()));

        long totalSteps = 0;
        for (int e = 0; e < settings.epochs(); e++) totalSteps += stepsIn(data.batches(e).size(), settings.accumulation());

        int startEpoch = 0, startMicro = 0;
        List<Double> losses = new ArrayList<>();
        boolean resumed = false;
        long startStep = 0;
        if (resume && checkpoint != null && Files.exists(checkpoint)) {
            TrainingCheckpoint.Loaded c = read(checkpoint);
            if (!c.state().settings().equals(settings.toString())) {
                throw new IllegalArgumentException(checkpoint + ": field 'settings' differs from this run's: " + c.state().settings()
                        + " vs " + settings);
            }
            if (c.params().length != p || !java.util.Arrays.equals(c.indices(), trained.indices())) {
                throw new IllegalArgumentException(checkpoint + ": parameter count or trained indices differ from this run's");
            }
            params.copyFrom(c.params());
            opt.restore(c.state().optimizerStep(), c.m(), c.v());
            startEpoch = c.state().epoch();
            startMicro = c.state().nextMicroBatch();
            losses.addAll(c.state().losses());
            resumed = true;
            startStep = c.state().optimizerStep();
        }

        long tokens = 0;
        long t0 = System.nanoTime();
        ActivationArena arena = new ActivationArena(model.backend());
        training:
        for (int epoch = startEpoch; epoch < settings.epochs(); epoch++) {
            List<TokenBatch> batches = data.batches(epoch);
            int n = batches.size();
            double stepLoss = 0;
            for (int mb = epoch == startEpoch ? startMicro : 0; mb < n; mb++) {
                int groupStart = mb - mb % settings.accumulation();
                int groupSize = Math.min(settings.accumulation(), n - groupStart);
                if (mb == groupStart && opt.stepCount() >= stopAfter) break training; // resumed at or past the stop
                if (mb == groupStart) { grads.zero(); stepLoss = 0; }
                TokenBatch b = batches.get(mb);
                float value;
                try (var step = arena.step()) { // the micro-batch's activations are the previous one's buffers
                    Tensor loss = hooks.loss(model, b);
                    value = loss.item();
                    if (!Float.isFinite(value)) {
                        throw new NonFiniteException("loss became " + value + " in epoch " + (epoch + 1) + ", micro-batch " + (mb + 1)
                                + " of task '" + task + "'; parameters are as after optimizer step " + opt.stepCount()
                                + (checkpoint != null ? "; last good checkpoint: " + checkpoint : ""));
                    }
                    (groupSize == 1 ? loss : Elementwise.scale(loss, 1f / groupSize)).backward();
                }
                afterBackward.accept(grads);
                stepLoss += (double) value / groupSize;
                tokens += b.tokens().length;
                if (mb == groupStart + groupSize - 1) {
                    float lr = settings.learningRate(opt.stepCount(), totalSteps);
                    stepLoss += hooks.beforeStep(model, grads, opt.stepCount());
                    try {
                        opt.step(lr);
                    } catch (NonFiniteException e) {
                        throw new NonFiniteException(e.getMessage() + " (epoch " + (epoch + 1) + ", micro-batch " + (mb + 1) + " of task '" + task
                                + "'" + (checkpoint != null ? "; last good checkpoint: " + checkpoint : "") + ")");
                    }
                    losses.add(stepLoss);
                    progress.step(opt.stepCount(), totalSteps, stepLoss, lr, tokens, (System.nanoTime() - t0) / 1e9);
                    boolean endOfEpoch = mb == n - 1;
                    if (checkpoint != null && (endOfEpoch || (settings.checkpointEvery() > 0 && opt.stepCount() % settings.checkpointEvery() == 0))) {
                        save(opt, trained, endOfEpoch ? epoch + 1 : epoch, endOfEpoch ? 0 : mb + 1, totalSteps, losses);
                    } else if (checkpoint != null && opt.stepCount() >= stopAfter) {
                        save(opt, trained, epoch, mb + 1, totalSteps, losses);
                    }
                    if (opt.stepCount() >= stopAfter) break training;
                }
            }
        }
        return new Result(losses, opt.stepCount(), tokens, (System.nanoTime() - t0) / 1e9, resumed, startStep);
    }

    private void save(MaskedAdamW opt, Mask trained, int epoch, int nextMicro, long totalSteps, List<Double> losses) {
        try {
            TrainingCheckpoint.write(checkpoint, new TrainingCheckpoint.State(epoch, nextMicro, opt.stepCount(), totalSteps,
                    settings.toString(), task, List.copyOf(losses)), trainable.params(), opt.firstMoment(), opt.secondMoment(), trained.indices());
        } catch (IOException e) {
            throw new UncheckedIOException("writing checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
    }

    private static TrainingCheckpoint.Loaded read(Path path) {
        try {
            return TrainingCheckpoint.read(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** Every parameter: full fine-tuning through the same optimizer (a full mask equals dense AdamW bit for bit). */
    static Mask fullMask(long p) {
        int[] all = new int[Math.toIntExact(p)];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return new Mask(all, p, p, 1.0, "full", "", "", 0, 0);
    }
}
