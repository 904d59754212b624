package io.piece4j.nn.model;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.RopeTable;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.Bf16Matrix;
import io.piece4j.tensor.spi.BinaryOp;
import io.piece4j.tensor.spi.RopeLayout;

/**
 * Decoding with a KV cache from {@link DecodingWeights} (matrices in float32, bfloat16 or Q8_0) instead of a
 * {@link LlamaModel}: the same forward as {@link KvCache}, written against the backend's kernels directly, with
 * every matrix product a {@link Backend#packedLinear}. The KV cache is float32 on the backend, or bfloat16 on the
 * host (half the bytes; attention through {@link Backend#attentionBf16Cache}). Activations are allocated once per
 * prompt length and reused, so decoding a token allocates nothing of the model's size.
 */
public final class PackedDecoder implements TokenDecoder {
    private final DecodingWeights weights;
    private final LlamaConfig c;
    private final Backend be;
    private final RopeTable rope;
    private final RopeLayout ropeLayout;
    private final Tensor[] attnNorm, mlpNorm; // per layer (C)
    private final Tensor finalNorm;           // (C)
    private final boolean bf16Cache;
    private final LayerKvCache[] caches;      // f32 cache: per layer
    private final short[][] keyBits, valueBits; // bf16 cache: per layer (maxSeq, KV*D)
    private int length;
    private Activations act;

    public PackedDecoder(DecodingWeights weights, Backend backend, DecodingPrecision kvCache) {
        if (kvCache == DecodingPrecision.Q8) throw new IllegalArgumentException("--kv-cache q8: expected f32 or bf16");
        this.weights = weights;
        this.c = weights.config();
        this.be = backend;
        this.rope = RopeTable.of(backend, c.maxSeqLen(), RopeFrequencies.of(c));
        this.ropeLayout = RopeLayout.valueOf(c.ropeLayout().name());
        int n = c.layers(), kvDim = c.kvDim();
        attnNorm = new Tensor[n];
        mlpNorm = new Tensor[n];
        for (int l = 0; l < n; l++) {
            attnNorm[l] = Tensor.of(backend, weights.layers().get(l).attnNorm(), c.dim());
            mlpNorm[l] = Tensor.of(backend, weights.layers().get(l).mlpNorm(), c.dim());
        }
        finalNorm = Tensor.of(backend, weights.finalNorm(), c.dim());
        bf16Cache = kvCache == DecodingPrecision.BF16;
        caches = bf16Cache ? null : new LayerKvCache[n];
        keyBits = bf16Cache ? new short[n][] : null;
        valueBits = bf16Cache ? new short[n][] : null;
        for (int l = 0; l < n; l++) {
            if (bf16Cache) {
                keyBits[l] = new short[c.maxSeqLen() * kvDim];
                valueBits[l] = new short[c.maxSeqLen() * kvDim];
            } else {
                caches[l] = new LayerKvCache(backend, c.maxSeqLen(), c.kvHeads(), c.headDim());
            }
        }
    }

    /**
     * The buffers of one forward of n tokens. The projections come out of one product each, qkv and gateUp; for one
     * token q, k, v (and gate, up) are views of their stretches of that row, for a prompt they are buffers of their
     * own that the rows' stretches are copied into (rope and the cache read them as contiguous rows).
     */
    private record Activations(int n, Tensor x, Tensor xn, Tensor rstd, Tensor qkv, Tensor q, Tensor k, Tensor v, Tensor att,
                               Tensor proj, Tensor gateUp, Tensor gate, Tensor up, Tensor last, Tensor logits, float[] hostRow,
                               float[] hostKv) {
        static Activations of(Backend be, LlamaConfig c, int n) {
            int qDim = c.heads() * c.headDim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
            Tensor qkv = Tensor.zeros(be, n, qDim + 2 * kvDim);       // qkv    (n, H*D + 2 KV*D)
            Tensor gateUp = Tensor.zeros(be, n, 2 * hidden);          // gateUp (n, 2 hidden)
            boolean one = n == 1;
            return new Activations(n,
                    Tensor.zeros(be, n, c.dim()),                                     // x     (n, C) the residual stream
                    Tensor.zeros(be, n, c.dim()),                                     // xn    (n, C) normed
                    Tensor.zeros(be, n),                                              // rstd  (n)
                    qkv,
                    one ? qkv.columnsNoGrad(0, qDim) : Tensor.zeros(be, n, qDim),           // q     (n, H*D)
                    one ? qkv.columnsNoGrad(qDim, kvDim) : Tensor.zeros(be, n, kvDim),      // k     (n, KV*D)
                    one ? qkv.columnsNoGrad(qDim + kvDim, kvDim) : Tensor.zeros(be, n, kvDim), // v  (n, KV*D)
                    Tensor.zeros(be, n, qDim),                                        // att   (n, H*D)
                    Tensor.zeros(be, n, c.dim()),                                     // proj  (n, C) a block's output before the residual add
                    gateUp,
                    one ? gateUp.columnsNoGrad(0, hidden) : Tensor.zeros(be, n, hidden),    // gate  (n, hidden), then silu(gate) * up
                    one ? gateUp.columnsNoGrad(hidden, hidden) : Tensor.zeros(be, n, hidden), // up  (n, hidden)
                    Tensor.zeros(be, 1, c.dim()),                                     // last  (1, C) the last position, normed
                    Tensor.zeros(be, 1, c.vocabSize()),                               // logits (1, V)
                    new float[c.dim()],                                               // one embedding row on the host
                    new float[n * kvDim]);                                            // (n, KV*D) keys or values on their way to a bf16 cache
        }

        /** For a prompt: the stretches of each row of src (n, sum of widths) into the parts (n, width), in order. */
        void split(Backend be, Tensor src, Tensor... parts) {
            if (n == 1) return; // the parts are views
            long width = src.shape()[1];
            for (int t = 0; t < n; t++) {
                long from = src.offset() + t * width;
                for (Tensor part : parts) {
                    int w = part.shape()[1];
                    be.copy(src.storage(), from, part.storage(), part.offset() + (long) t * w, w);
                    from += w;
                }
            }
        }
    }

    public DecodingWeights weights() { return weights; }

    @Override public int length() { return length; }

    @Override public int maxSeqLen() { return c.maxSeqLen(); }

    public void reset() { length = 0; }

    @Override
    public float[] forward(int... tokens) {
        int n = tokens.length, pos = length;
        if (n == 0) throw new IllegalArgumentException("no tokens to feed");
        if (pos + n > c.maxSeqLen()) throw new IllegalArgumentException("position " + (pos + n) + " exceeds max_seq_len " + c.maxSeqLen());
        if (act == null || act.n != n) act = Activations.of(be, c, n);
        Activations a = act;
        int dim = c.dim(), h = c.heads(), kv = c.kvHeads(), hd = c.headDim(), kvDim = c.kvDim();
        float eps = c.normEps();
        for (int t = 0; t < n; t++) {
            if (tokens[t] < 0 || tokens[t] >= c.vocabSize()) throw new IllegalArgumentException("token " + tokens[t] + " outside the vocabulary of " + c.vocabSize());
            weights.embeddings().rowAsFloats(tokens[t], a.hostRow, 0);
            be.write(a.x.storage(), a.x.offset() + (long) t * dim, a.hostRow, 0, dim);
        }
        for (int l = 0; l < c.layers(); l++) {
            DecodingWeights.Layer w = weights.layers().get(l);
            be.rmsnorm(a.x, attnNorm[l], a.xn, a.rstd, n, dim, eps);
            be.packedLinear(w.wqkv(), a.xn, a.qkv, n);
            a.split(be, a.qkv, a.q, a.k, a.v);
            be.rope(a.q, a.q, rope.cos(), rope.sin(), 1, n, h, hd, pos, ropeLayout, false, false);
            be.rope(a.k, a.k, rope.cos(), rope.sin(), 1, n, kv, hd, pos, ropeLayout, false, false);
            if (bf16Cache) {
                storeBf16(a.k, keyBits[l], pos * kvDim, n * kvDim);
                storeBf16(a.v, valueBits[l], pos * kvDim, n * kvDim);
                be.attentionBf16Cache(a.q, keyBits[l], valueBits[l], a.att, n, pos + n, h, kv, hd);
            } else {
                caches[l].append(a.k, a.v, pos, n);
                caches[l].attend(a.q, a.att, n, pos + n, h);
            }
            be.packedLinear(w.wo(), a.att, a.proj, n);
            be.binary(BinaryOp.ADD, a.x, a.proj, a.x);
            be.rmsnorm(a.x, mlpNorm[l], a.xn, a.rstd, n, dim, eps);
            be.packedLinear(w.wGateUp(), a.xn, a.gateUp, n);
            a.split(be, a.gateUp, a.gate, a.up);
            be.swiglu(a.gate, a.up, a.gate);
            be.packedLinear(w.wDown(), a.gate, a.proj, n);
            be.binary(BinaryOp.ADD, a.x, a.proj, a.x);
        }
        length += n;
        Tensor lastRow = a.x.rowsNoGrad(n - 1, 1);                                                   // (1, C)
        be.rmsnorm(lastRow, finalNorm, a.last, a.rstd, 1, dim, eps);
        be.packedLinear(weights.output(), a.last, a.logits, 1);                                      // (1, V)
        return a.logits.toArray();
    }

    /** count floats of src, rounded to bfloat16, into dst[at ..]. */
    private void storeBf16(Tensor src, short[] dst, int at, int count) {
        float[] host = act.hostKv;
        be.read(src.storage(), src.offset(), host, 0, count);
        for (int i = 0; i < count; i++) dst[at + i] = Bf16Matrix.toBf16(host[i]);
    }
}
