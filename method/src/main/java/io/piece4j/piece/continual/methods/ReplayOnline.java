package io.piece4j.piece.continual.methods;

import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.TrainingHooks;

import java.util.ArrayList;
import java.util.List;

/**
 * Replay-online: full fine-tuning on the current task's training data with the same memory as
 * {@link Replay} (a fraction of each earlier task) mixed in: each epoch shuffles task and memory
 * examples together, so old examples share the current task's batches.
 */
public final class ReplayOnline implements ContinualMethod {
    private final double fraction;

    public ReplayOnline(MethodOptions options) {
        options.checkKnown("replay.", Replay.FRACTION);
        this.fraction = options.number(Replay.FRACTION, Replay.DEFAULT_FRACTION);
        EpisodicMemory.checkFraction(Replay.FRACTION, fraction);
    }

    @Override public String name() { return "replay-online"; }

    @Override
    public String describe() {
        return "all parameters; " + Replay.percent(fraction) + " of each earlier task's training data mixed into the current task's batches";
    }

    @Override public boolean seesOldData() { return true; }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        List<Example> mixed = new ArrayList<>(ctx.train());
        mixed.addAll(Replay.memory(ctx, fraction));
        return new TrainPlan(Trainable.ofModel(ctx.model(), null), TrainingHooks.NONE, ctx.shuffledEpochs(mixed), null);
    }
}
