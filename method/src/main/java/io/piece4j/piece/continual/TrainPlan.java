package io.piece4j.piece.continual;

import io.piece4j.piece.Mask;
import io.piece4j.piece.train.EpochData;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.TrainingHooks;

/**
 * What a method trains on one task.
 *
 * @param trainable what the optimizer updates (the model's parameters under a mask, all of them, or an adapter)
 * @param hooks     the method's changes to the loss and the gradient
 * @param data      the task's micro-batches per epoch; null = the task's training examples, shuffled per (seed, epoch)
 * @param mask      the mask over the model's parameters to report on (counts per layer, overlaps); null when none
 */
public record TrainPlan(Trainable trainable, TrainingHooks hooks, EpochData data, Mask mask) {
    /** Plain training of a trainable, with the standard data. */
    public static TrainPlan of(Trainable trainable, Mask mask) {
        return new TrainPlan(trainable, TrainingHooks.NONE, null, mask);
    }
}
