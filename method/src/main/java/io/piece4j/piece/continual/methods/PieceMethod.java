package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceAccumulator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.ModelFingerprint;
import io.piece4j.piece.TopKSelector;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.train.Trainable;

/**
 * PIECE-F or PIECE-S: before each task, one importance pass over the task's training data on the current
 * model, the global top-k of the scores, and training of exactly those coordinates. Masks of different
 * tasks are independent: nothing is unioned or protected.
 */
public final class PieceMethod implements ContinualMethod {
    private final Estimator estimator;
    private final double ratio;
    private final boolean includeNorms, untouchedTensorsTrain;

    public PieceMethod(Estimator estimator, double ratio, boolean includeNorms, boolean untouchedTensorsTrain) {
        Mask.budget(ratio, 1); // rejects a ratio outside (0, 1] before anything runs
        this.estimator = estimator;
        this.ratio = ratio;
        this.includeNorms = includeNorms;
        this.untouchedTensorsTrain = untouchedTensorsTrain;
    }

    @Override public String name() { return estimator.cliName(); }

    @Override
    public String describe() {
        return (estimator == Estimator.PIECE_F ? "Fisher (sum of squared gradients)" : "|sum of gradients| / sqrt(sum of squared gradients + 1)")
                + ", global top " + ratio * 100 + " % of " + (includeNorms ? "all" : "non-norm") + " parameters but the embeddings, per task"
                + (untouchedTensorsTrain ? "; tensors with no selected entry trained fully (original code's quirk)" : "");
    }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        LlamaModel model = ctx.model();
        String hash = ModelFingerprint.of(model.parameters());
        ImportanceAccumulator acc = ImportanceEstimation.accumulate(model, ctx.importanceBatches());
        TopKSelector.Range[] eligible = MaskSelection.eligible(model.layout(), includeNorms);
        Mask mask = ImportanceEstimation.select(acc, model.layout(), eligible, estimator, ratio, ctx.task().name(), hash,
                ctx.settings().importanceBatch());
        if (untouchedTensorsTrain) mask = MaskSelection.trainUntouchedTensors(mask, model.layout(), eligible);
        return TrainPlan.of(Trainable.ofModel(model, mask), mask);
    }
}
