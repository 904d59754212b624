package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Shape;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/** Causal scaled-dot-product attention with grouped KV heads (GQA). */
public final class Attention {
    private Attention() {}

    /**
     * Attention weights of one call above this many bytes are computed again in the backward instead of kept (see
     * {@link #causal(Tensor, Tensor, Tensor, boolean)}). Below it the weights are kept: recomputing cost 3-8 % of a
     * full training step at stories15M, 8 x 256 (12.6 MB of weights a layer, 75 MB a step; six alternating runs on a
     * Zen 5), and still 1-16 % once simd recomputed them one kv head at a time (three alternating pairs on a Zen 4),
     * where a TinyLlama-1.1B-shaped step at 1 x 512 (33.5 MB a layer, 0.74 GB over 22 layers) spends under 1 % of its
     * time in attention, and at 2048 positions the kept weights alone would be 11.8 GB.
     */
    public static final long RECOMPUTE_ABOVE_BYTES = 16L << 20;

    /**
     * q (batch, seq, heads, hd), k and v (batch, seq, kvHeads, hd) -> (batch, seq, heads, hd).
     * softmax(q k^T / sqrt(hd)) v with query t attending keys 0..t; query head h reads kv head
     * h / (heads / kvHeads). The weights (batch, heads, seq, seq) are kept for the backward when they take at most
     * {@link #RECOMPUTE_ABOVE_BYTES}, else computed again there.
     */
    public static Tensor causal(Tensor q, Tensor k, Tensor v) {
        long weightBytes = 4L * q.dim(0) * q.dim(2) * q.dim(1) * q.dim(1);
        return causal(q, k, v, weightBytes > RECOMPUTE_ABOVE_BYTES);
    }

    /**
     * {@link #causal(Tensor, Tensor, Tensor)}, choosing whether the backward computes the attention weights again.
     * Recomputed, the forward keeps none, and the backward runs the attention forward once more
     * ({@link Backend#attentionBackwardRecomputed}): on simd one kv head at a time into per-thread scratch, elsewhere
     * one layer at a time into arena scratch handed back at once. The kernels are deterministic, so the recomputed
     * weights, and every gradient, have the bits the kept ones give.
     */
    public static Tensor causal(Tensor q, Tensor k, Tensor v, boolean recomputeWeights) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) throw new IllegalArgumentException("attention expects 4-D q, k, v");
        int batch = q.dim(0), seq = q.dim(1), heads = q.dim(2), hd = q.dim(3), kvHeads = k.dim(2);
        if (k.dim(0) != batch || k.dim(1) != seq || k.dim(3) != hd || v.numel() != k.numel() || kvHeads == 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention shapes: q " + Shape.str(q.shape()) + ", k " + Shape.str(k.shape())
                    + ", v " + Shape.str(v.shape()) + " (heads must be a multiple of kv heads)");
        }
        Backend be = q.backend();
        Tensor out = Tensor.activation(be, q.shape());
        boolean training = Autograd.isRecording() && (q.requiresGrad() || k.requiresGrad() || v.requiresGrad());
        Tensor kept = training && !recomputeWeights ? Tensor.activation(be, batch, heads, seq, seq) : null;
        be.attention(q, k, v, out, kept, batch, seq, seq, seq, heads, kvHeads, hd);
        return Autograd.record(out, g -> {
            Tensor dq = q.requiresGrad() ? q.gradForAccumulation() : null;
            Tensor dk = k.requiresGrad() ? k.gradForAccumulation() : null;
            Tensor dv = v.requiresGrad() ? v.gradForAccumulation() : null;
            if (kept != null) be.attentionBackward(q, k, v, kept, g, dq, dk, dv, batch, seq, seq, heads, kvHeads, hd);
            else be.attentionBackwardRecomputed(q, k, v, g, dq, dk, dv, batch, seq, seq, heads, kvHeads, hd);
        }, q, k, v);
    }
}
