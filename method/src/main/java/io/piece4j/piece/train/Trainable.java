package io.piece4j.piece.train;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.Mask;
import io.piece4j.tensor.Tensor;

/**
 * The buffer an optimizer updates, its gradient, and which of its coordinates may change. Usually the
 * model's own flat parameters under a PIECE mask (or all of them); a method that adds parameters (an
 * adapter) trains its own buffer instead, with the model's weights frozen.
 *
 * @param params   (N) the trained values
 * @param grads    (N) their gradient, filled by backward
 * @param mask     the coordinates updated, ascending; null = all N
 * @param ofModel  params is the model's flat parameter buffer: the trainer then restricts the model's
 *                 backward to the mask (sparse weight gradients) unless dense gradients are asked for
 */
public record Trainable(Tensor params, Tensor grads, Mask mask, boolean ofModel) {
    /** The model's own parameters, under a mask (null = every parameter, i.e. full fine-tuning). */
    public static Trainable ofModel(LlamaModel model, Mask mask) {
        return new Trainable(model.parameters(), model.enableGradients(), mask, true);
    }

    /** A buffer of the method's own (an adapter), every coordinate trained. */
    public static Trainable own(Tensor params, Tensor grads) {
        return new Trainable(params, grads, null, false);
    }

    public long size() { return params.numel(); }

    /** Coordinates updated per step: k under a mask, N otherwise. */
    public long trainedCount() { return mask == null ? size() : mask.size(); }
}
