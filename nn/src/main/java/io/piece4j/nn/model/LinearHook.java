package io.piece4j.nn.model;

import io.piece4j.tensor.Tensor;

/**
 * Sees, and may change, what one linear layer computes in the model's training forward
 * ({@link LlamaModel#forward}, and so {@link LlamaModel#loss}). A method that adds adapters returns the
 * layer's output plus the adapter's path (LoRA: y + s * (x A^T) B^T); one that watches activations (MIGU)
 * reads y and returns it unchanged. Decoding with {@link KvCache} never calls it: methods with adapters
 * merge them into the weights before they are evaluated by generation.
 */
@FunctionalInterface
public interface LinearHook {
    /**
     * @param weight the layer's weight, a named view of the flat buffer ("layers.0.attn.wq"), (out, in);
     *               the tied output head is "tok_embeddings"
     * @param x      the layer's input, (B*T, in)
     * @param y      x W^T as the model computed it, (B*T, out)
     * @return the layer's output, shaped like y (y itself when the hook only watches)
     */
    Tensor apply(Tensor weight, Tensor x, Tensor y);
}
