package io.piece4j.piece.continual.methods;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.TopKSelector;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The selection options the mask methods share, and the random mask's draw. */
class MaskMethodsTest {
    private static final LlamaConfig CONFIG = new LlamaConfig(16, 2, 2, 1, 8, 24, 40, 16, 1e-5f, 10000f, false,
            LlamaConfig.RopeLayout.INTERLEAVED, null);

    private static LlamaModel model() {
        LlamaModel m = new LlamaModel(CONFIG, new RefBackend());
        m.initRandom(1, 0.1f);
        return m;
    }

    @Test
    void noNormsEligibilityLeavesOutEveryOneDimensionalTensorAndTheEmbeddings() {
        ParameterLayout layout = model().layout();
        TopKSelector.Range[] all = ImportanceEstimation.eligible(layout, true), noNorms = ImportanceEstimation.eligible(layout, false);
        long norms = 0;
        for (ParameterLayout.Entry e : layout.entries()) if (e.shape().length == 1) norms += e.numel();
        long emb = layout.get("tok_embeddings").numel();
        assertEquals(layout.size() - emb, ImportanceEstimation.count(all));
        assertEquals(layout.size() - emb - norms, ImportanceEstimation.count(noNorms));
        for (ParameterLayout.Entry e : layout.entries()) {
            boolean inside = false;
            for (TopKSelector.Range r : noNorms) inside |= e.offset() >= r.begin() && e.offset() < r.end();
            assertEquals(e.shape().length == 2 && !e.name().equals("tok_embeddings"), inside, e.name());
        }
    }

    @Test
    void randomMaskIsDeterministicDistinctEligibleAndDiffersPerTaskAndSeed() {
        LlamaModel m = model();
        TopKSelector.Range[] eligible = ImportanceEstimation.eligible(m.layout(), false);
        RandomMaskMethod r1 = new RandomMaskMethod(0.05, 1, false, false), r2 = new RandomMaskMethod(0.05, 2, false, false);
        Mask a = r1.draw(m, eligible, 0, "t"), again = r1.draw(m, eligible, 0, "t"), nextTask = r1.draw(m, eligible, 1, "t"),
                otherSeed = r2.draw(m, eligible, 0, "t");
        assertEquals(Mask.budget(0.05, ImportanceEstimation.count(eligible)), a.size());
        assertArrayEquals(a.indices(), again.indices(), "same seed and task, same mask");
        assertFalse(java.util.Arrays.equals(a.indices(), nextTask.indices()), "another task draws another mask");
        assertFalse(java.util.Arrays.equals(a.indices(), otherSeed.indices()), "another seed draws another mask");
        Set<Integer> seen = new HashSet<>();
        for (int i : a.indices()) {
            assertTrue(seen.add(i), "distinct");
            ParameterLayout.Entry e = m.layout().locate(i).entry();
            assertTrue(e.shape().length == 2 && !e.name().equals("tok_embeddings"), "eligible: " + e.name());
        }
    }

    @Test
    void randomMaskSpreadsOverTheEligibleRangeInProportion() {
        // over many draws each eligible tensor gets a share of the mask close to its share of the eligible parameters
        LlamaModel m = model();
        TopKSelector.Range[] eligible = ImportanceEstimation.eligible(m.layout(), true);
        long total = ImportanceEstimation.count(eligible);
        ParameterLayout.Entry down = m.layout().get("layers.1.mlp.w_down");
        long hits = 0, drawn = 0;
        for (int task = 0; task < 200; task++) {
            Mask k = new RandomMaskMethod(0.02, 9, true, false).draw(m, eligible, task, "t");
            for (int i : k.indices()) if (i >= down.offset() && i < down.offset() + down.numel()) hits++;
            drawn += k.size();
        }
        double expected = (double) down.numel() / total, got = (double) hits / drawn;
        assertEquals(expected, got, 0.2 * expected, "w_down's share of random masks");
    }

    @Test
    void untouchedTensorsQuirkTrainsEveryEligibleTensorWithoutASelectedEntry() {
        LlamaModel m = model();
        ParameterLayout layout = m.layout();
        TopKSelector.Range[] eligible = ImportanceEstimation.eligible(layout, true);
        ParameterLayout.Entry wq = layout.get("layers.0.attn.wq");
        int[] one = {(int) wq.offset() + 3};
        Mask mask = new Mask(one, layout.size(), ImportanceEstimation.count(eligible), 0.001, "piece-s", "t", "h", 1, 1);
        Mask expanded = MaskSelection.trainUntouchedTensors(mask, layout, eligible);
        long expected = 1;
        for (ParameterLayout.Entry e : layout.entries()) if (!e.name().equals("tok_embeddings") && e != wq) expected += e.numel();
        assertEquals(expected, expanded.size(), "wq keeps its one entry; every other eligible tensor is added whole; embeddings never");
        assertTrue(expanded.contains(one[0]) && !expanded.contains((int) wq.offset()));
        assertFalse(expanded.contains(0), "embeddings stay out");
    }
}
