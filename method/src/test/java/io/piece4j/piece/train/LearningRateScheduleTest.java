package io.piece4j.piece.train;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The learning rate of each optimizer step against values worked out by hand: linear warm-up from lr / warmup to lr
 * over the first `warmup` steps, then constant, or a half cosine from lr over the remaining steps (step s of T has
 * lr * (1 + cos(pi * (s - warmup) / (T - warmup))) / 2, as Hugging Face's cosine schedule with warm-up).
 */
class LearningRateScheduleTest {
    private static TrainSettings settings(String schedule, int warmup) {
        return new TrainSettings(1, 1e-3f, schedule, warmup, 1, 1, 1.0, 0.9f, 0.95f, 1e-8f, 0f, 1, 0, false);
    }

    private static void assertRates(TrainSettings s, long total, double[] want) {
        for (int step = 0; step < want.length; step++) {
            assertEquals(want[step], s.learningRate(step, total), 1e-9, s.schedule() + " warm-up " + s.warmupSteps() + ": lr of step " + step);
        }
    }

    @Test
    void warmUpThenConstant() {
        // 1e-3 * 1/4, 2/4, 3/4, 4/4, then 1e-3
        assertRates(settings("constant", 4), 12, new double[] {2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3});
    }

    @Test
    void warmUpThenCosine() {
        // after 4 warm-up steps, 8 cosine steps at (1 + cos(pi k / 8)) / 2 for k = 0..7:
        // 1, 0.9619398, 0.8535534, 0.6913417, 0.5, 0.3086583, 0.1464466, 0.0380602
        assertRates(settings("cosine", 4), 12, new double[] {2.5e-4, 5e-4, 7.5e-4, 1e-3,
                1e-3, 9.619398e-4, 8.535534e-4, 6.913417e-4, 5e-4, 3.086583e-4, 1.464466e-4, 3.80602e-5});
    }

    @Test
    void cosineWithoutWarmUp() {
        // 5 steps: (1 + cos(pi k / 5)) / 2 = 1, 0.9045085, 0.6545085, 0.3454915, 0.0954915
        assertRates(settings("cosine", 0), 5, new double[] {1e-3, 9.045085e-4, 6.545085e-4, 3.454915e-4, 9.54915e-5});
    }
}
