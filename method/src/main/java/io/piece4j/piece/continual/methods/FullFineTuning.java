package io.piece4j.piece.continual.methods;

import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.train.Trainable;

/** SeqFT: every parameter, the embeddings included, fine-tuned on each task in turn; the forgetting baseline. */
public final class FullFineTuning implements ContinualMethod {
    @Override public String name() { return "seqft"; }

    @Override public String describe() { return "all parameters (full fine-tuning), task after task"; }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        return TrainPlan.of(Trainable.ofModel(ctx.model(), null), null);
    }
}
