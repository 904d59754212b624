package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.ParamSpec;
import io.piece4j.nn.LlamaConfig.RopeLayout;
import io.piece4j.nn.LlamaConfig.RopeScaling;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LlamaConfigTest {
    // GQA with a head size that is not dim / heads (Hugging Face head_dim override)
    private static final LlamaConfig GQA = new LlamaConfig(12, 2, 4, 2, 6, 20, 9, 16, 1e-6f, 500000f, false,
            RopeLayout.HALF_SPLIT, null);

    @Test
    void parameterSpecsAreInCanonicalOrderWithLinearShapes() {
        List<String> expected = List.of(
                "tok_embeddings[9, 12]",
                "layers.0.attn_norm[12]", "layers.0.attn.wq[24, 12]", "layers.0.attn.wk[12, 12]", "layers.0.attn.wv[12, 12]",
                "layers.0.attn.wo[12, 24]", "layers.0.mlp_norm[12]", "layers.0.mlp.w_gate[20, 12]", "layers.0.mlp.w_up[20, 12]",
                "layers.0.mlp.w_down[12, 20]",
                "layers.1.attn_norm[12]", "layers.1.attn.wq[24, 12]", "layers.1.attn.wk[12, 12]", "layers.1.attn.wv[12, 12]",
                "layers.1.attn.wo[12, 24]", "layers.1.mlp_norm[12]", "layers.1.mlp.w_gate[20, 12]", "layers.1.mlp.w_up[20, 12]",
                "layers.1.mlp.w_down[12, 20]",
                "norm[12]", "output[9, 12]");
        assertEquals(expected, GQA.parameterSpecs().stream().map(ParamSpec::toString).toList());
    }

    @Test
    void tiedEmbeddingsHaveNoOutputParameter() {
        LlamaConfig tied = new LlamaConfig(12, 2, 4, 2, 6, 20, 9, 16, 1e-6f, 500000f, true, RopeLayout.HALF_SPLIT, null);
        assertEquals("norm", tied.parameterSpecs().getLast().name());
        assertEquals(GQA.parameterCount() - 9 * 12, tied.parameterCount(), "tying removes exactly vocab * dim parameters");
    }

    @Test
    void parameterCountIsTheSumOfAllShapes() {
        long sum = GQA.parameterSpecs().stream().mapToLong(ParamSpec::numel).sum();
        // by hand: 9*12 embeddings + 2 * (12 + 24*12 + 12*12 + 12*12 + 12*24 + 12 + 3*20*12) + 12 + 9*12 output
        long byHand = 108 + 2 * (12 + 288 + 144 + 144 + 288 + 12 + 720) + 12 + 108;
        assertEquals(byHand, sum);
        assertEquals(byHand, GQA.parameterCount());
    }

    @Test
    void kvHeadsThatDoNotDivideHeadsAreRejectedByName() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig(12, 2, 4, 3, 6, 20, 9, 16, 1e-6f, 1e4f, false, RopeLayout.HALF_SPLIT, null));
        assertTrue(e.getMessage().contains("kvHeads = 3") && e.getMessage().contains("heads = 4"), e.getMessage());
    }

    @Test
    void nonPositiveSizesAreRejectedByName() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig(12, 0, 4, 2, 6, 20, 9, 16, 1e-6f, 1e4f, false, RopeLayout.HALF_SPLIT, null));
        assertTrue(e.getMessage().startsWith("layers = 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig(12, 2, 4, 2, 6, -20, 9, 16, 1e-6f, 1e4f, false, RopeLayout.HALF_SPLIT, null));
        assertTrue(e.getMessage().startsWith("hiddenDim = -20"), e.getMessage());
    }

    @Test
    void oddHeadDimIsRejectedBecauseRopeRotatesPairs() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig(12, 2, 4, 2, 3, 20, 9, 16, 1e-6f, 1e4f, false, RopeLayout.HALF_SPLIT, null));
        assertTrue(e.getMessage().startsWith("headDim = 3"), e.getMessage());
    }

    @Test
    void nonFiniteEpsAndThetaAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig(12, 2, 4, 2, 6, 20, 9, 16, Float.NaN, 1e4f, false, RopeLayout.HALF_SPLIT, null));
        var e = assertThrows(IllegalArgumentException.class,
                () -> new LlamaConfig(12, 2, 4, 2, 6, 20, 9, 16, 1e-6f, Float.POSITIVE_INFINITY, false, RopeLayout.HALF_SPLIT, null));
        assertTrue(e.getMessage().startsWith("ropeTheta"), e.getMessage());
    }

    @Test
    void parameterCountThatOverflowsALongIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> new LlamaConfig(Integer.MAX_VALUE, 1 << 20, 1, 1,
                2, Integer.MAX_VALUE, Integer.MAX_VALUE, 16, 1e-6f, 1e4f, false, RopeLayout.HALF_SPLIT, null));
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
    }

    @Test
    void layerCountWhoseParameterListCannotBeAJavaListIsRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> new LlamaConfig(2, LlamaConfig.MAX_LAYERS + 1, 1, 1, 2, 2, 2, 2,
                1e-6f, 1e4f, true, RopeLayout.HALF_SPLIT, null));
        assertTrue(e.getMessage().startsWith("layers = " + (LlamaConfig.MAX_LAYERS + 1) + ": expected at most " + LlamaConfig.MAX_LAYERS),
                e.getMessage());
    }

    @Test
    void ropeScalingNeedsHighAboveLowFrequencyFactor() {
        var e = assertThrows(IllegalArgumentException.class, () -> new RopeScaling(8, 4, 1, 8192));
        assertTrue(e.getMessage().startsWith("ropeScaling.highFreqFactor = 1.0"), e.getMessage());
    }

    @Test
    void withRopeLayoutChangesOnlyTheLayout() {
        LlamaConfig other = GQA.withRopeLayout(RopeLayout.INTERLEAVED);
        assertEquals(RopeLayout.INTERLEAVED, other.ropeLayout());
        assertEquals(GQA, other.withRopeLayout(RopeLayout.HALF_SPLIT));
        assertFalse(GQA.equals(other));
    }
}
