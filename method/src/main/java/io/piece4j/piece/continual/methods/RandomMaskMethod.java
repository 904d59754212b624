package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.ModelFingerprint;
import io.piece4j.piece.TopKSelector;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.train.Trainable;

/**
 * The control for PIECE's scores: a mask of the same size k over the same eligible parameters, drawn
 * uniformly at random per task from (seed, task index). Each index gets a pseudo-random score from a hash
 * of (seed, task, index) and the same top-k selection as PIECE picks the k largest, so the draw is
 * deterministic, needs no P-sized buffer, and is uniform over k-subsets.
 */
public final class RandomMaskMethod implements ContinualMethod {
    private final double ratio;
    private final long seed;
    private final boolean includeNorms, untouchedTensorsTrain;

    public RandomMaskMethod(double ratio, long seed, boolean includeNorms, boolean untouchedTensorsTrain) {
        Mask.budget(ratio, 1);
        this.ratio = ratio;
        this.seed = seed;
        this.includeNorms = includeNorms;
        this.untouchedTensorsTrain = untouchedTensorsTrain;
    }

    @Override public String name() { return "random"; }

    @Override
    public String describe() {
        return "uniformly random " + ratio * 100 + " % of " + (includeNorms ? "all" : "non-norm") + " parameters but the embeddings, per task (same k as PIECE)";
    }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        LlamaModel model = ctx.model();
        TopKSelector.Range[] eligible = MaskSelection.eligible(model.layout(), includeNorms);
        Mask mask = draw(model, eligible, ctx.taskIndex(), ctx.task().name());
        if (untouchedTensorsTrain) mask = MaskSelection.trainUntouchedTensors(mask, model.layout(), eligible);
        return TrainPlan.of(Trainable.ofModel(model, mask), mask);
    }

    Mask draw(LlamaModel model, TopKSelector.Range[] eligible, int taskIndex, String task) {
        long eligibleCount = ImportanceEstimation.count(eligible);
        int k = Mask.budget(ratio, eligibleCount);
        long key = mix(seed * 0x9E3779B97F4A7C15L + taskIndex);
        int[] idx = TopKSelector.select((start, dst, len) -> {
            for (int i = 0; i < len; i++) dst[i] = ((mix(key ^ (start + i)) >>> 40) + 1) * 0x1.0p-24f; // (0, 1]
        }, eligible, k);
        return new Mask(idx, model.layout().size(), eligibleCount, ratio, "random", task, ModelFingerprint.of(model.parameters()), 0, 0);
    }

    /** SplitMix64's finaliser: a well-mixed 64-bit hash. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
