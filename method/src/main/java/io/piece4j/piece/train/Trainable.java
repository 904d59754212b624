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
 *                 backward to the mask (sparse weight gradients) unless dense gradients are asked for;
 *                 false for a buffer of the method's own, or when the method sets up the model's backward
 *                 itself ({@link #ofModelDense})
 */
public record Trainable(Tensor params, Tensor grads, Mask mask, boolean ofModel) {
    /** The model's own parameters, under a mask (null = every parameter, i.e. full fine-tuning). */
    public static Trainable ofModel(LlamaModel model, Mask mask) {
        return new Trainable(model.parameters(), model.enableGradients(), mask, true);
    }

    /**
     * The model's parameters under a mask, with the dense weight gradients the method set up: for a method
     * that picks the trained coordinates inside each step (MIGU zeroes gradient rows by the step's
     * activations), where no fixed sparse pattern exists.
     */
    public static Trainable ofModelDense(LlamaModel model, Mask mask) {
        return new Trainable(model.parameters(), model.enableGradients(), mask, false);
    }

    /** A buffer of the method's own (an adapter), every coordinate trained. */
    public static Trainable own(Tensor params, Tensor grads) {
        return new Trainable(params, grads, null, false);
    }

    public long size() { return params.numel(); }

    /** Coordinates updated per step: k under a mask, N otherwise. */
    public long trainedCount() { return mask == null ? size() : mask.size(); }
}
