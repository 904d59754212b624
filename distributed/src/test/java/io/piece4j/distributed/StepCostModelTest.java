package io.piece4j.distributed;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.ImportanceEstimation;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The figures docs/distributed.md's predictions rest on: parameter counts at the two shapes (against the
 * model's own layout and TinyLlama-1.1B's published count) and the step-time formula on hand-worked values.
 */
class StepCostModelTest {

    @Test
    void parameterCountsEqualTheModelLayoutAndTheEligibleRange() {
        for (LlamaConfig c : new LlamaConfig[] {ScalingCommand.STORIES15M, ScalingCommand.TINYLLAMA_1B}) {
            ParameterLayout layout = new ParameterLayout(c);
            long[] pe = StepCostModel.parameters(c);
            assertEquals(layout.size(), pe[0], "P of " + c);
            assertEquals(ImportanceEstimation.count(ImportanceEstimation.eligible(layout)), pe[1], "eligible count of " + c);
        }
    }

    @Test
    void tinyLlamaShapeHasItsPublishedParameterCount() {
        // 22 layers x 44,044,288 + final norm 2,048 + embeddings and untied head 2 x 32,000 x 2,048
        assertEquals(1_100_048_384L, StepCostModel.parameters(ScalingCommand.TINYLLAMA_1B)[0]);
    }

    @Test
    void stepTimeIsWavesOfComputePlusExchangePlusJobLatency() {
        StepCostModel m = new StepCostModel(2.0, 0.01, 0.05, 0.002);
        // 64 micro-batches over 8 executors: 8 waves x 2 s + 0.01 + 0.05 + 8 x 0.002
        assertEquals(16.076, m.stepSeconds(64, 8), 1e-12);
        // 64 over 48: two waves, the second part-full
        assertEquals(4.0 + 0.01 + 0.05 + 0.096, m.stepSeconds(64, 48), 1e-12);
        // one executor: all 64 in sequence
        assertEquals(128.062, m.stepSeconds(64, 1), 1e-12);
    }
}
