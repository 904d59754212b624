package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Shape;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/** Causal scaled-dot-product attention with grouped KV heads (GQA). */
public final class Attention {
    private Attention() {}

    /**
     * q (batch, seq, heads, hd), k and v (batch, seq, kvHeads, hd) -> (batch, seq, heads, hd).
     * softmax(q k^T / sqrt(hd)) v with query t attending keys 0..t; query head h reads kv head
     * h / (heads / kvHeads). The forward keeps the weights (batch, heads, seq, seq) for the backward.
     */
    public static Tensor causal(Tensor q, Tensor k, Tensor v) {
        if (q.rank() != 4 || k.rank() != 4 || v.rank() != 4) throw new IllegalArgumentException("attention expects 4-D q, k, v");
        int batch = q.dim(0), seq = q.dim(1), heads = q.dim(2), hd = q.dim(3), kvHeads = k.dim(2);
        if (k.dim(0) != batch || k.dim(1) != seq || k.dim(3) != hd || v.numel() != k.numel() || kvHeads == 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention shapes: q " + Shape.str(q.shape()) + ", k " + Shape.str(k.shape())
                    + ", v " + Shape.str(v.shape()) + " (heads must be a multiple of kv heads)");
        }
        Backend be = q.backend();
        Tensor out = Tensor.activation(be, q.shape());
        boolean training = Autograd.isRecording() && (q.requiresGrad() || k.requiresGrad() || v.requiresGrad());
        Tensor probs = training ? Tensor.activation(be, batch, heads, seq, seq) : null;
        be.attention(q, k, v, out, probs, batch, seq, seq, seq, heads, kvHeads, hd);
        return Autograd.record(out, g -> be.attentionBackward(q, k, v, probs, g,
                q.requiresGrad() ? q.gradForAccumulation() : null,
                k.requiresGrad() ? k.gradForAccumulation() : null,
                v.requiresGrad() ? v.gradForAccumulation() : null,
                batch, seq, seq, heads, kvHeads, hd), q, k, v);
    }
}
