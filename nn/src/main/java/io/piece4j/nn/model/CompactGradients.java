package io.piece4j.nn.model;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The gradient of a model trained under a fixed mask, kept only at the k masked coordinates: values[j] is the
 * gradient of flat parameter indices[j]. Nothing the size of the model is allocated, which is what lets PIECE train a
 * model whose dense gradient and AdamW state (three more copies of the weights) would not fit in memory.
 *
 * <p>How each weight's masked entries get their gradient:
 * <ul>
 * <li>a matrix (a linear layer): the sampled weight-gradient product writes straight into its slice of values
 *     ({@link #sampledSlice});</li>
 * <li>a vector (a norm weight) or the token embeddings: the op computes the weight's whole gradient into a small dense
 *     tensor of its own, and {@link #collect()} copies the masked entries into values after the backward pass;</li>
 * <li>a weight with no masked entry gets no gradient at all.</li>
 * </ul>
 * Made by {@link LlamaModel#trainCompact}.
 */
public final class CompactGradients {
    /** A weight whose masked entries come from a dense gradient of its own. */
    private record DenseWeight(Tensor grad, int[] localIdx, int valuesOffset) {}

    /** A matrix whose masked entries' gradients the sampled product writes into values[valuesOffset ...]. */
    record Slice(int[] localIdx, Tensor values) {}

    private final Backend backend;
    private final int[] indices;      // (k) ascending flat indices
    private final Tensor values;      // (k) their gradients
    private final Map<String, Slice> sampled = new HashMap<>();
    private final List<DenseWeight> dense = new ArrayList<>();
    private long denseElements;

    CompactGradients(Backend backend, int[] indices) {
        this.backend = backend;
        this.indices = indices;
        this.values = Tensor.zeros(backend, Math.max(1, indices.length)).named("compact grads");
    }

    /** The matrix `name` takes the gradients of localIdx (its own row * in + col, ascending) at values[offset ...]. */
    void addSampled(String name, int[] localIdx, int offset) {
        sampled.put(name, new Slice(localIdx, values.rowsNoGrad(offset, localIdx.length)));
    }

    /** Makes weight w's gradient a dense tensor of its own, whose entries localIdx go to values[offset ...]. */
    void addDense(Tensor w, int[] localIdx, int offset) {
        Tensor g = Tensor.zeros(backend, w.shape());
        w.setGrad(g);
        dense.add(new DenseWeight(g, localIdx, offset));
        denseElements += g.numel();
    }

    /** The slice of the sampled matrix called name, or null if it is not one. */
    Slice sampledSlice(String name) { return sampled.get(name); }

    /** (k) the gradients of {@link #indices()}, in that order. */
    public Tensor values() { return values; }

    /** (k) the trained flat indices, ascending. */
    public int[] indices() { return indices; }

    /** Zeroes every gradient (before the micro-batches of an optimizer step). */
    public void zero() {
        values.zero();
        for (DenseWeight d : dense) d.grad.zero();
    }

    /**
     * Copies the masked entries of the densely computed weight gradients into values. Call it once after the
     * backward passes of an optimizer step and before the step: the dense gradients keep accumulating until
     * {@link #zero()}, so collecting overwrites their slices with the complete sums.
     */
    public void collect() {
        for (DenseWeight d : dense) {
            float[] g = d.grad.toArray();
            float[] picked = new float[d.localIdx.length];
            for (int j = 0; j < picked.length; j++) picked[j] = g[d.localIdx[j]];
            if (picked.length > 0) values.rowsNoGrad(d.valuesOffset, picked.length).copyFrom(picked);
        }
    }

    /** Bytes of gradient storage: the k values and the dense gradients of norm weights (and embeddings) that have masked entries. */
    public long bytes() {
        return (values.numel() + denseElements) * Float.BYTES;
    }
}
