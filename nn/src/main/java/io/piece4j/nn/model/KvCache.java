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
    private final Tensor[] wqkv;         // per layer (H*D + 2 KV*D, C): wq, wk, wv as one view of the flat buffer
    private final Tensor[] wGateUp;      // per layer (2 hidden, C): w_gate, w_up as one view
    private int length;

    public KvCache(LlamaModel model) {
        this.model = model;
        var c = model.config();
        int n = c.layers();
        arena = new ActivationArena(model.backend());
        caches = new LayerKvCache[n];
        for (int l = 0; l < n; l++) caches[l] = new LayerKvCache(model.backend(), c.maxSeqLen(), c.kvHeads(), c.headDim());
        wqkv = new Tensor[n];
        wGateUp = new Tensor[n];
        for (int l = 0; l < n; l++) {
            String p = "layers." + l + ".";
            wqkv[l] = adjacentRows(model, p + "attn.wq", p + "attn.wk", p + "attn.wv");
            wGateUp[l] = adjacentRows(model, p + "mlp.w_gate", p + "mlp.w_up");
        }
    }

    /**
     * Matrices that lie one after another in the flat buffer (the canonical order puts wq, wk, wv and w_gate, w_up
     * so) as one (sum of rows, cols) view. One token's projections are then one matrix-vector product instead of
     * three or two: decoding is bound by reading the weights, and each product's start and end leave the memory
     * system idle for a moment (measured on stories15M: 15-25 us a token less for q, k, v, 10-15 us for gate, up).
     */
    private static Tensor adjacentRows(LlamaModel model, String... names) {
        ParameterLayout layout = model.layout();
        ParameterLayout.Entry first = layout.get(names[0]);
        int cols = first.shape()[1], rows = 0;
        long next = first.offset();
        for (String name : names) {
            ParameterLayout.Entry e = layout.get(name);
            if (e.offset() != next || e.shape()[1] != cols) throw new IllegalStateException(name + " does not follow " + names[0] + " in the flat buffer");
            rows += e.shape()[0];
            next += e.numel();
        }
        return Tensor.view(model.parameters().storage(), model.parameters().offset() + first.offset(), rows, cols);
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
            int qDim = h * hd, kvDim = kv * hd, hidden = c.hiddenDim();
            for (int l = 0; l < c.layers(); l++) {
                LlamaModel.Block b = model.blocks().get(l);
                Tensor nrm = RmsNorm.rmsnorm(x, b.attnNorm(), eps);                               // (n, C)
                Tensor q, k, v;                                                                    // (n, H*D), (n, KV*D) x2
                if (n == 1) { // one token: its q, k and v are the three stretches of one row
                    Tensor qkv = linear(nrm, wqkv[l]);                                             // (1, H*D + 2 KV*D)
                    q = qkv.columnsNoGrad(0, qDim);
                    k = qkv.columnsNoGrad(qDim, kvDim);
                    v = qkv.columnsNoGrad(qDim + kvDim, kvDim);
                } else {      // a prompt: separate products give contiguous rows (its matrix products are compute bound)
                    q = linear(nrm, b.wq());
                    k = linear(nrm, b.wk());
                    v = linear(nrm, b.wv());
                }
                q = Rope.rope(q.reshape(1, n, h, hd), model.ropeTable(), pos, model.ropeLayout());
                k = Rope.rope(k.reshape(1, n, kv, hd), model.ropeTable(), pos, model.ropeLayout());
                caches[l].append(k, v, pos, n);
                Tensor att = Tensor.zeros(be, n, h * hd);                                          // (n, H*D)
                caches[l].attend(q, att, n, pos + n, h);
                x = Elementwise.add(x, linear(att, b.wo()));
                Tensor m = RmsNorm.rmsnorm(x, b.mlpNorm(), eps);
                Tensor gated;                                                                      // (n, hidden)
                if (n == 1) {
                    Tensor gateUp = linear(m, wGateUp[l]);                                         // (1, 2 hidden)
                    gated = SwiGlu.swiglu(gateUp.columnsNoGrad(0, hidden), gateUp.columnsNoGrad(hidden, hidden));
                } else {
                    gated = SwiGlu.swiglu(linear(m, b.wGate()), linear(m, b.wUp()));
                }
                x = Elementwise.add(x, linear(gated, b.wDown()));
            }
            Tensor last = x.rowsNoGrad(n - 1, 1);                                                 // (1, C)
            length += n;
            return linear(RmsNorm.rmsnorm(last, model.finalNorm(), eps), model.outputHead()).toArray(); // (V)
        }
    }
}
