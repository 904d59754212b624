package io.piece4j.piece.train;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Tensor;

/**
 * What a continual-learning method adds to plain training. Every hook has the neutral default, so
 * PIECE, a random mask and full fine-tuning need none; EWC, LwF, GEM or MIGU override one or two.
 */
public interface TrainingHooks {
    /** No change to plain training. */
    TrainingHooks NONE = new TrainingHooks() {};

    /**
     * The loss minimised on one micro-batch; backward runs on what this returns. Default: the mean
     * cross-entropy over the batch's scored (answer and EOS) positions.
     */
    default Tensor loss(LlamaModel model, TokenBatch batch) {
        return model.loss(batch.tokens(), batch.targets(), batch.batch(), batch.seq());
    }

    /**
     * Called once per optimizer step, after the gradients of its micro-batches have been accumulated
     * into {@code grads} and before clipping and the update. A hook may add to the gradient (a penalty's
     * gradient), project it, or zero parts of it. Returns a value to add to the step's logged loss (a
     * penalty's value), 0 by default.
     *
     * @param grads the gradient buffer of the trained tensor (for the model's own parameters: (P))
     * @param step  0-based optimizer step about to be taken
     */
    default double beforeStep(LlamaModel model, Tensor grads, long step) {
        return 0;
    }
}
