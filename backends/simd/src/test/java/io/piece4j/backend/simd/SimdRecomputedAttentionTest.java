package io.piece4j.backend.simd;

import io.piece4j.tensor.ActivationArena;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.Attention;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.ops.MatMul;
import io.piece4j.tensor.ops.Reduce;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Attention whose backward computes its weights again runs, on simd, one kv head at a time in per-thread scratch: a
 * training step in an arena then holds no (batch, heads, seq, seq) buffer at all, where the default recomputation holds
 * one and kept weights one a layer; and the gradients have the bits of kept weights.
 */
class SimdRecomputedAttentionTest {
    private static final int BATCH = 2, SEQ = 9, HEADS = 4, KV_HEADS = 2, HD = 8, LAYERS = 3;

    @Test
    void aRecomputingStepHoldsNoWeightBufferAndGivesTheKeptWeightsBits() {
        try (SimdBackend be = new SimdBackend(2)) {
            Rng rng = new Rng(23);
            Tensor x = Tensor.randn(be, rng, 1f, BATCH, SEQ, HEADS, HD).requireGrad();
            Tensor[] wk = new Tensor[LAYERS], wv = new Tensor[LAYERS];
            for (int l = 0; l < LAYERS; l++) {
                wk[l] = Tensor.randn(be, rng, 0.5f, KV_HEADS * HD, HEADS * HD).requireGrad();
                wv[l] = Tensor.randn(be, rng, 0.5f, KV_HEADS * HD, HEADS * HD).requireGrad();
            }
            long weightFloats = (long) BATCH * HEADS * SEQ * SEQ;
            ActivationArena keeping = new ActivationArena(be), recomputing = new ActivationArena(be);
            float[][] kept, again;
            try (var s = keeping.step()) {
                kept = step(x, wk, wv, false);
            }
            try (var s = recomputing.step()) {
                again = step(x, wk, wv, true);
            }
            for (int i = 0; i < kept.length; i++) {
                for (int j = 0; j < kept[i].length; j++) {
                    assertEquals(Float.floatToRawIntBits(kept[i][j]), Float.floatToRawIntBits(again[i][j]),
                            "gradient " + i + " element " + j + ": kept " + kept[i][j] + ", recomputed " + again[i][j]);
                }
            }
            // the default recomputation would hold one weight buffer (LAYERS - 1 fewer than keeping), simd's holds none
            assertEquals(LAYERS * 4 * weightFloats, keeping.bytesHeld() - recomputing.bytesHeld(),
                    "bytes the arena holds: " + keeping.bytesHeld() + " keeping the weights, " + recomputing.bytesHeld() + " recomputing them");
        }
    }

    /** LAYERS attention layers (k and v projected from the layer's input), a sum of squares as the loss; the gradients. */
    private static float[][] step(Tensor x, Tensor[] wk, Tensor[] wv, boolean recompute) {
        x.setGrad(null);
        for (int l = 0; l < LAYERS; l++) { wk[l].setGrad(null); wv[l].setGrad(null); }
        Tensor h = x;
        for (int l = 0; l < LAYERS; l++) {
            Tensor rows = h.reshape(BATCH * SEQ, HEADS * HD);
            Tensor k = MatMul.linear(rows, wk[l]).reshape(BATCH, SEQ, KV_HEADS, HD);
            Tensor v = MatMul.linear(rows, wv[l]).reshape(BATCH, SEQ, KV_HEADS, HD);
            h = Attention.causal(h, k, v, recompute);
        }
        Reduce.sumAll(Elementwise.mul(h, h)).backward();
        float[][] out = new float[1 + 2 * LAYERS][];
        out[0] = x.grad().toArray();
        for (int l = 0; l < LAYERS; l++) { out[1 + 2 * l] = wk[l].grad().toArray(); out[2 + 2 * l] = wv[l].grad().toArray(); }
        return out;
    }
}
