package io.piece4j.tensor;

import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.ops.CrossEntropy;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.ops.MatMul;
import io.piece4j.tensor.ops.RmsNorm;
import io.piece4j.tensor.ops.SwiGlu;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The activation arena: reuse across steps, early reuse of intermediate gradients, and what it never touches. */
class ActivationArenaTest {
    private final Backend be = new RefBackend();

    /** A small MLP block with a loss: x (6, 8) -> rmsnorm -> two linears -> swiglu -> linear -> cross-entropy. */
    private record Net(Tensor x, Tensor norm, Tensor wGate, Tensor wUp, Tensor wOut, int[] targets) {
        static Net random(Backend be) {
            Rng rng = new Rng(3);
            return new Net(Tensor.randn(be, rng, 1f, 6, 8).requireGrad(), Tensor.uniform(be, rng, 0.5f, 1.5f, 8).requireGrad(),
                    Tensor.randn(be, rng, 0.3f, 12, 8).requireGrad(), Tensor.randn(be, rng, 0.3f, 12, 8).requireGrad(),
                    Tensor.randn(be, rng, 0.3f, 5, 12).requireGrad(), new int[] {0, 4, -1, 2, 3, 1});
        }

        Tensor loss() {
            Tensor n = RmsNorm.rmsnorm(x, norm, 1e-5f);
            Tensor h = SwiGlu.swiglu(MatMul.linear(n, wGate), MatMul.linear(n, wUp));
            return CrossEntropy.mean(MatMul.linear(h, wOut), targets);
        }

        Tensor[] leaves() { return new Tensor[] {x, norm, wGate, wUp, wOut}; }

        /** loss, then every leaf's gradient, after one forward and backward from zero gradients. */
        float[][] step() {
            for (Tensor t : leaves()) t.setGrad(null);
            Tensor loss = loss();
            float value = loss.item();
            loss.backward();
            float[][] out = new float[1 + leaves().length][];
            out[0] = new float[] {value};
            for (int i = 0; i < leaves().length; i++) out[i + 1] = leaves()[i].grad().toArray();
            return out;
        }
    }

    private static void assertSameBits(float[][] want, float[][] got, String what) {
        for (int i = 0; i < want.length; i++) {
            for (int j = 0; j < want[i].length; j++) {
                int a = Float.floatToRawIntBits(want[i][j]), b = Float.floatToRawIntBits(got[i][j]);
                int ti = i, tj = j;
                assertEquals(a, b, () -> what + ": tensor #" + ti + " element " + tj + " is " + got[ti][tj] + ", without the arena " + want[ti][tj]);
            }
        }
    }

    @Test
    void stepsAfterTheFirstAllocateNothingAndGiveTheSameBitsAsWithoutTheArena() {
        Net net = Net.random(be);
        float[][] plain = net.step();
        ActivationArena arena = new ActivationArena(be);
        long afterFirst = -1;
        for (int s = 0; s < 4; s++) {
            float[][] got;
            try (var step = arena.step()) {
                got = net.step();
            }
            assertSameBits(plain, got, "step " + (s + 1) + " in the arena");
            if (s == 0) afterFirst = arena.allocations();
            else assertEquals(afterFirst, arena.allocations(), "storages allocated by the arena after step " + (s + 1));
        }
        assertTrue(afterFirst > 5, "the first step should have taken its outputs from the arena, allocated " + afterFirst);
    }

    @Test
    void intermediateGradientsAreReusedWithinTheBackwardPass() {
        int n = 1000, depth = 10;
        Tensor x = Tensor.randn(be, new Rng(1), 1f, n).requireGrad();
        ActivationArena arena = new ActivationArena(be);
        try (var step = arena.step()) {
            Tensor y = x;
            for (int i = 0; i < depth; i++) y = Elementwise.silu(y);
            io.piece4j.tensor.ops.Reduce.sumAll(y).backward();
        }
        // forward: depth outputs of n and the sum; backward: each output's gradient is dropped once its step ran, so
        // two gradients of n are alive at a time, not depth
        long forward = (long) depth * n * Float.BYTES, bound = forward + 3L * n * Float.BYTES + 64;
        assertTrue(arena.peakBytesHeld() <= bound, "arena peak " + arena.peakBytesHeld() + " bytes, expected at most "
                + bound + " (forward " + forward + " + three gradients)");
        assertTrue(x.grad() != null && Float.isFinite(x.grad().toArray()[0]), "the leaf keeps its gradient after the step");
    }

    @Test
    void leafGradientsAndTensorsMadeWithZerosAreNotArenaStorage() {
        Net net = Net.random(be);
        ActivationArena arena = new ActivationArena(be);
        Tensor kept;
        float[] gradBefore;
        try (var step = arena.step()) {
            net.step();
            kept = Tensor.zeros(be, 4);
            kept.fill(2f);
            gradBefore = net.wOut().grad().toArray();
        }
        try (var step = arena.step()) {
            net.loss(); // a second step reuses every buffer of the first
        }
        float[] gradAfter = net.wOut().grad().toArray();
        for (int i = 0; i < gradBefore.length; i++) assertEquals(gradBefore[i], gradAfter[i], "leaf gradient element " + i);
        assertEquals(2f, kept.toArray()[3], "a tensor made with zeros inside a step");
    }

    @Test
    void anOpOutputReadAfterItsStepShowsNaN() {
        assumeTrue(ActivationArena.POISON, "runs with -Dpiece.arena.poison=true (the build's tests set it)");
        Net net = Net.random(be);
        ActivationArena arena = new ActivationArena(be);
        Tensor loss;
        try (var step = arena.step()) {
            loss = net.loss();
            assertTrue(Float.isFinite(loss.item()), "inside the step the loss is a number");
        }
        assertTrue(Float.isNaN(loss.item()), "the loss read after its step should be NaN, is " + loss.item());
    }

    @Test
    void stepsDoNotNest() {
        ActivationArena a = new ActivationArena(be), b = new ActivationArena(be);
        try (var step = a.step()) {
            assertThrows(IllegalStateException.class, a::step);
            assertThrows(IllegalStateException.class, b::step);
        }
        try (var step = b.step()) {
            assertTrue(ActivationArena.current(be) == b, "b is open after a closed");
        }
        assertTrue(ActivationArena.current(be) == null, "no arena open after the scopes closed");
    }

    /**
     * Attention told to recompute its weights keeps none from its forward: its backward computes them again into arena
     * scratch and hands that back at once. Three attention layers in a row then leave the arena one (batch, heads, seq,
     * seq) buffer, where keeping the weights takes three; and the gradients have the bits of kept weights, and of the
     * same step without any arena (the tests run with the arena's NaN poison, so a read of scratch after it went back
     * would show).
     */
    @Test
    void attentionWeightsAreRecomputedInTheBackwardIntoOneBufferForAllLayers() {
        int batch = 2, seq = 5, heads = 4, kvHeads = 2, hd = 3, layers = 3;
        Rng rng = new Rng(17);
        Tensor x = Tensor.randn(be, rng, 1f, batch, seq, heads, hd).requireGrad();
        Tensor[] wk = new Tensor[layers], wv = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            wk[l] = Tensor.randn(be, rng, 0.5f, kvHeads * hd, heads * hd).requireGrad();
            wv[l] = Tensor.randn(be, rng, 0.5f, kvHeads * hd, heads * hd).requireGrad();
        }
        float[][] kept = attentionStep(x, wk, wv, batch, seq, heads, kvHeads, hd, false);
        float[][] plain = attentionStep(x, wk, wv, batch, seq, heads, kvHeads, hd, true);
        assertSameBits(kept, plain, "recomputed attention weights against kept ones");
        ActivationArena arena = new ActivationArena(be);
        for (int round = 0; round < 2; round++) {
            float[][] inArena;
            try (var s = arena.step()) {
                inArena = attentionStep(x, wk, wv, batch, seq, heads, kvHeads, hd, true);
            }
            assertSameBits(plain, inArena, "attention in the arena, round " + round);
        }
        long weightBuffers = arena.sizes().stream().filter(n -> n == (long) batch * heads * seq * seq).count();
        assertEquals(1, weightBuffers, "buffers of (batch, heads, seq, seq) floats the arena holds after a step: " + arena.sizes());
        ActivationArena keeping = new ActivationArena(be);
        try (var s = keeping.step()) {
            attentionStep(x, wk, wv, batch, seq, heads, kvHeads, hd, false);
        }
        assertEquals(layers, keeping.sizes().stream().filter(n -> n == (long) batch * heads * seq * seq).count(),
                "kept weights: one buffer a layer");
    }

    /**
     * By default the weights are kept up to {@link io.piece4j.tensor.ops.Attention#RECOMPUTE_ABOVE_BYTES} a call and
     * computed again above it: two layers of one head over 2048 positions (16 MiB of weights, kept: two buffers) and
     * over 2049 (just above: one buffer).
     */
    @Test
    void attentionKeepsItsWeightsUpToTheThresholdAndRecomputesThemAbove() {
        for (int seq : new int[] {2048, 2049}) {
            long bytes = 4L * seq * seq;
            boolean recompute = bytes > io.piece4j.tensor.ops.Attention.RECOMPUTE_ABOVE_BYTES;
            assertEquals(seq == 2049, recompute, "16 MiB lies between the two shapes");
            Rng rng = new Rng(seq);
            Tensor x = Tensor.randn(be, rng, 1f, 1, seq, 1, 1).requireGrad();
            ActivationArena arena = new ActivationArena(be);
            try (var s = arena.step()) {
                Tensor h = io.piece4j.tensor.ops.Attention.causal(x, x, x);
                h = io.piece4j.tensor.ops.Attention.causal(h, h, h);
                io.piece4j.tensor.ops.Reduce.sumAll(Elementwise.mul(h, h)).backward();
            }
            long buffers = arena.sizes().stream().filter(n -> n == (long) seq * seq).count();
            assertEquals(recompute ? 1 : 2, buffers, seq + " positions: weight buffers in the arena after the step");
        }
    }

    /** Three attention layers (k and v projected from the layer's input) and a loss: loss and gradients after backward. */
    private float[][] attentionStep(Tensor x, Tensor[] wk, Tensor[] wv, int batch, int seq, int heads, int kvHeads, int hd,
                                    boolean recompute) {
        int layers = wk.length;
        x.setGrad(null);
        for (int l = 0; l < layers; l++) { wk[l].setGrad(null); wv[l].setGrad(null); }
        Tensor h = x;
        for (int l = 0; l < layers; l++) {
            Tensor rows = h.reshape(batch * seq, heads * hd);
            Tensor k = MatMul.linear(rows, wk[l]).reshape(batch, seq, kvHeads, hd);
            Tensor v = MatMul.linear(rows, wv[l]).reshape(batch, seq, kvHeads, hd);
            h = io.piece4j.tensor.ops.Attention.causal(h, k, v, recompute);
        }
        Tensor loss = CrossEntropy.mean(h.reshape(batch * seq, heads * hd), new int[] {1, 0, 5, 7, 2, 11, 3, 3, 9, 4});
        float value = loss.item();
        loss.backward();
        float[][] out = new float[2 + 2 * layers][];
        out[0] = new float[] {value};
        out[1] = x.grad().toArray();
        for (int l = 0; l < layers; l++) { out[2 + 2 * l] = wk[l].grad().toArray(); out[3 + 2 * l] = wv[l].grad().toArray(); }
        return out;
    }
}
