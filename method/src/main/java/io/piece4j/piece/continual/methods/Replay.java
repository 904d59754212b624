package io.piece4j.piece.continual.methods;

import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.train.EpochData;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.TrainingHooks;

import java.util.ArrayList;
import java.util.List;

/**
 * Replay: full fine-tuning, and after each epoch over the current task one extra pass over a memory that
 * holds a fraction (10 % by default) of each earlier task's training data (PIECE.md section 6). The
 * memory is drawn once per task from the run's seed ({@link EpisodicMemory}); the extra pass is
 * shuffled per (seed, epoch) like the task's own epochs, so a resumed run sees the same batches.
 */
public final class Replay implements ContinualMethod {
    static final String FRACTION = "replay.fraction";
    static final double DEFAULT_FRACTION = 0.1;

    private final double fraction;

    public Replay(MethodOptions options) {
        options.checkKnown("replay.", FRACTION);
        this.fraction = options.number(FRACTION, DEFAULT_FRACTION);
        EpisodicMemory.checkFraction(FRACTION, fraction);
    }

    @Override public String name() { return "replay"; }

    @Override
    public String describe() {
        return "all parameters; after each epoch one more pass over " + percent(fraction) + " of each earlier task's training data";
    }

    @Override public boolean seesOldData() { return true; }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        List<Example> memory = memory(ctx, fraction);
        EpochData task = ctx.shuffledEpochs(ctx.train());
        EpochData replay = memory.isEmpty() ? epoch -> List.of() : ctx.shuffledEpochs(memory);
        EpochData data = epoch -> {
            List<TokenBatch> all = new ArrayList<>(task.batches(epoch));
            all.addAll(replay.batches(epoch));
            return all;
        };
        return new TrainPlan(Trainable.ofModel(ctx.model(), null), TrainingHooks.NONE, data, null);
    }

    /** fraction of each earlier task's training records, task after task. */
    static List<Example> memory(TaskContext ctx, double fraction) {
        List<Example> all = new ArrayList<>();
        for (List<Example> kept : EpisodicMemory.ofEarlierTasks(ctx, n -> EpisodicMemory.countFor(fraction, n))) all.addAll(kept);
        return all;
    }

    static String percent(double fraction) {
        return String.format(java.util.Locale.ROOT, "%.4g %%", fraction * 100).replaceAll("\\.?0+ %", " %");
    }
}
