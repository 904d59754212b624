package io.piece4j.nn.model;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/**
 * One layer's float32 keys and values for decoding, on the backend, with the keys in the layout the backend reads
 * fastest ({@link Backend#prefersTransposedKeys}): rows (capacity, KV*D) or transposed (KV*D, capacity). Values are
 * rows either way. Both layouts give the same attention, bit for bit.
 */
final class LayerKvCache {
    private final Backend be;
    private final int capacity, kvHeads, headDim;
    private final boolean keysTransposed;
    private final Tensor keys;   // (capacity, KV*D), or (KV*D, capacity) if keysTransposed
    private final Tensor values; // (capacity, KV*D)

    LayerKvCache(Backend be, int capacity, int kvHeads, int headDim) {
        this.be = be;
        this.capacity = capacity;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        int kvDim = kvHeads * headDim;
        keysTransposed = be.prefersTransposedKeys();
        keys = keysTransposed ? Tensor.zeros(be, kvDim, capacity) : Tensor.zeros(be, capacity, kvDim);
        values = Tensor.zeros(be, capacity, kvDim);
    }

    /** Stores n new keys and values, k and v (n, KV*D), at positions pos .. pos + n - 1. */
    void append(Tensor k, Tensor v, int pos, int n) {
        long kvDim = (long) kvHeads * headDim;
        if (keysTransposed) be.writeKeysTransposed(k, keys, n, pos, (int) kvDim, capacity);
        else be.copy(k.storage(), k.offset(), keys.storage(), keys.offset() + pos * kvDim, n * kvDim);
        be.copy(v.storage(), v.offset(), values.storage(), values.offset() + pos * kvDim, n * kvDim);
    }

    /** out (tq, H*D) = causal attention of q (tq, H*D), the last tq of positions 0 .. tk - 1, over the cache. */
    void attend(Tensor q, Tensor out, int tq, int tk, int heads) {
        if (keysTransposed) be.attentionKeysTransposed(q, keys, values, out, tq, tk, capacity, heads, kvHeads, headDim);
        else be.attention(q, keys, values, out, null, 1, tq, tk, capacity, heads, kvHeads, headDim);
    }
}
