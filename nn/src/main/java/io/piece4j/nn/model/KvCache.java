package io.piece4j.nn.model;

import io.piece4j.tensor.ActivationArena;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.ops.Embedding;
import io.piece4j.tensor.ops.RmsNorm;
import io.piece4j.tensor.ops.Rope;
import io.piece4j.tensor.ops.SwiGlu;
import io.piece4j.tensor.spi.Backend;

import static io.piece4j.tensor.ops.MatMul.linear;

/**
 * Incremental decoding of one sequence: the keys and values of every position seen so far are kept per
 * layer, so each new token costs one row of work instead of the whole prefix. Nothing is recorded for
 * autograd.
 *
 * <p>Each call's activations come from an {@link ActivationArena} of the cache's own (unless the calling thread
 * is inside another arena's step), so decoding a token allocates little more than the logits it returns (173 KB for
 * stories15M, 429 KB without the arena). The young generation then grows more slowly into memory the process has
 * not touched: with ParallelGC, decoding had phases of seconds at half speed that pre-touching the heap removed.
 */
public final class KvCache implements TokenDecoder {
    private final LlamaModel model;
    private final LayerKvCache[] caches; // per layer: keys and values of positions 0 .. length - 1
    private final ActivationArena arena; // one forward's activations, reused by the next
    private int length;

    public KvCache(LlamaModel model) {
        this.model = model;
        var c = model.config();
        int n = c.layers();
        arena = new ActivationArena(model.backend());
        caches = new LayerKvCache[n];
        for (int l = 0; l < n; l++) caches[l] = new LayerKvCache(model.backend(), c.maxSeqLen(), c.kvHeads(), c.headDim());
    }

    /** Positions already in the cache. */
    @Override public int length() { return length; }

    @Override public int maxSeqLen() { return model.config().maxSeqLen(); }

    public void reset() { length = 0; }

    /**
     * Feeds tokens at positions length..length+n-1 (a whole prompt at once, or one token) and returns the
     * logits (vocab) that predict the token after the last one.
     */
    @Override
    public float[] forward(int... tokens) {
        var c = model.config();
        int n = tokens.length, pos = length;
        if (n == 0) throw new IllegalArgumentException("no tokens to feed");
        if (pos + n > c.maxSeqLen()) {
            throw new IllegalArgumentException("position " + (pos + n) + " exceeds max_seq_len " + c.maxSeqLen());
        }
        if (ActivationArena.openOnThisThread()) return decode(tokens);
        try (var step = arena.step()) {
            return decode(tokens); // returns a copy: nothing of the step outlives it
        }
    }

    private float[] decode(int[] tokens) {
        var c = model.config();
        int n = tokens.length, pos = length;
        int h = c.heads(), kv = c.kvHeads(), hd = c.headDim();
        float eps = c.normEps();
        Backend be = model.backend();
        try (var s = Autograd.noGrad()) {
            Tensor x = Embedding.lookup(model.tokEmbeddings(), tokens);                          // (n, C)
            for (int l = 0; l < c.layers(); l++) {
                LlamaModel.Block b = model.blocks().get(l);
                Tensor nrm = RmsNorm.rmsnorm(x, b.attnNorm(), eps);                               // (n, C)
                Tensor q = Rope.rope(linear(nrm, b.wq()).reshape(1, n, h, hd), model.ropeTable(), pos, model.ropeLayout());
                Tensor k = Rope.rope(linear(nrm, b.wk()).reshape(1, n, kv, hd), model.ropeTable(), pos, model.ropeLayout());
                caches[l].append(k, linear(nrm, b.wv()), pos, n);
                Tensor att = Tensor.zeros(be, n, h * hd);                                          // (n, H*D)
                caches[l].attend(q, att, n, pos + n, h);
                x = Elementwise.add(x, linear(att, b.wo()));
                Tensor m = RmsNorm.rmsnorm(x, b.mlpNorm(), eps);
                x = Elementwise.add(x, linear(SwiGlu.swiglu(linear(m, b.wGate()), linear(m, b.wUp())), b.wDown()));
            }
            Tensor last = x.rowsNoGrad(n - 1, 1);                                                 // (1, C)
            length += n;
            return linear(RmsNorm.rmsnorm(last, model.finalNorm(), eps), model.outputHead()).toArray(); // (V)
        }
    }
}
