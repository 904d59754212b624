package io.piece4j.nn.model;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.tensor.ActivationArena;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The KV cache decodes in an activation arena of its own: the same bits as without it, and nothing it returns is
 * reused.
 */
class KvCacheTest {
    private final Backend be = new RefBackend();

    private LlamaModel model() {
        LlamaModel m = new LlamaModel(new LlamaConfig(32, 2, 4, 2, 8, 48, 41, 24, 1e-5f, 10000f, true,
                LlamaConfig.RopeLayout.INTERLEAVED, null), be);
        m.initRandom(5, 0.3f);
        return m;
    }

    /** A prompt of three tokens, then single tokens: the arena meets two sizes of step. */
    private static List<float[]> decode(KvCache cache) {
        List<float[]> logits = new ArrayList<>();
        logits.add(cache.forward(1, 7, 3));
        for (int t = 0; t < 12; t++) logits.add(cache.forward((t * 5 + 2) % 41));
        return logits;
    }

    @Test
    void decodingInItsOwnArenaGivesTheBitsOfDecodingInsideAnotherArenasStep() {
        LlamaModel m = model();
        List<float[]> own = decode(new KvCache(m)), inside;
        ActivationArena other = new ActivationArena(be);
        try (var step = other.step()) {
            assertTrue(ActivationArena.openOnThisThread());
            inside = decode(new KvCache(m)); // the cache must not open its own step here (steps do not nest)
        }
        assertFalse(ActivationArena.openOnThisThread());
        for (int i = 0; i < own.size(); i++) {
            int step = i;
            for (float v : own.get(i)) assertFalse(Float.isNaN(v), () -> "step " + step + " read storage handed back (NaN poison)");
            assertArrayEquals(inside.get(i), own.get(i), "step " + i);
        }
    }

    @Test
    void logitsReturnedEarlierAreNotOverwrittenByLaterSteps() {
        KvCache cache = new KvCache(model());
        float[] first = cache.forward(1, 4), copy = first.clone();
        for (int t = 0; t < 5; t++) cache.forward(t + 3);
        assertArrayEquals(copy, first, "the logits of the first call changed after later calls");
    }

    /**
     * One token at a time, q, k and v (and gate and up) come out of one product over the adjacent matrices of the flat
     * buffer: every position's logits must still be the training forward's (grouped heads here, so the three
     * stretches of the product differ in width), whereas a prompt fed at once takes the separate products.
     */
    @Test
    void singleTokenDecodingThroughTheJoinedProjectionsGivesTheTrainingForwardsLogits() {
        LlamaModel m = model();
        int[] tokens = {1, 7, 3, 40, 0, 22, 9, 9, 13, 2};
        int vocab = m.config().vocabSize();
        float[] full;
        try (var s = io.piece4j.tensor.Autograd.noGrad()) {
            full = m.forward(tokens, 1, tokens.length).toArray(); // (T, V)
        }
        KvCache oneByOne = new KvCache(m), prompt = new KvCache(m);
        float[] atOnce = prompt.forward(tokens);
        float maxDiff = 0;
        for (int t = 0; t < tokens.length; t++) {
            float[] got = oneByOne.forward(tokens[t]);
            for (int v = 0; v < vocab; v++) maxDiff = Math.max(maxDiff, Math.abs(got[v] - full[t * vocab + v]));
        }
        assertTrue(maxDiff < 1e-5f, "one token at a time vs the training forward: max |diff| " + maxDiff);
        float last = 0;
        for (int v = 0; v < vocab; v++) last = Math.max(last, Math.abs(atOnce[v] - full[(tokens.length - 1) * vocab + v]));
        assertTrue(last < 1e-5f, "the prompt at once vs the training forward: max |diff| " + last);
    }
}
