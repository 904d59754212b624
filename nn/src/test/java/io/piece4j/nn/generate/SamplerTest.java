package io.piece4j.nn.generate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Temperature, top-k and top-p sampling against distributions worked out by hand. The logits are the logs of the
 * weights 4 : 2 : 1 : 1 (plus a fifth token far below), so softmax gives 1/2, 1/4, 1/8, 1/8 and temperature T
 * raises the weights to the power 1/T. 40 000 draws with a fixed seed; each frequency must lie within 4.5 standard
 * errors (sqrt(p (1 - p) / n)) of its probability, and tokens the rule leaves out must never be drawn.
 */
class SamplerTest {
    private static final int DRAWS = 40_000;
    private static final float[] LOGITS = {(float) Math.log(4), (float) Math.log(2), 0f, 0f, -30f};

    private static double[] frequencies(Sampler s) {
        int[] count = new int[LOGITS.length];
        for (int i = 0; i < DRAWS; i++) count[s.sample(LOGITS.clone())]++;
        double[] f = new double[count.length];
        for (int t = 0; t < f.length; t++) f[t] = (double) count[t] / DRAWS;
        return f;
    }

    private static void assertDistribution(String what, double[] want, Sampler s) {
        double[] got = frequencies(s);
        for (int t = 0; t < want.length; t++) {
            if (want[t] == 0) {
                assertEquals(0.0, got[t], what + ": token " + t + " is outside the allowed set but was drawn");
                continue;
            }
            double se = Math.sqrt(want[t] * (1 - want[t]) / DRAWS);
            double diff = Math.abs(got[t] - want[t]);
            assertTrue(diff <= 4.5 * se, what + ": token " + t + " drawn with frequency " + got[t] + ", expected probability "
                    + want[t] + " (off by " + diff / Math.max(se, 1e-300) + " standard errors)");
        }
    }

    @Test
    void temperatureOneSamplesTheSoftmax() {
        // 4 : 2 : 1 : 1 : e^-30 -> 1/2, 1/4, 1/8, 1/8 (the fifth about 5e-14: never in 40 000 draws)
        assertDistribution("T = 1", new double[] {0.5, 0.25, 0.125, 0.125, 0}, new Sampler(1f, 1f, 0, 7));
    }

    @Test
    void temperatureSharpensAndFlattens() {
        // T = 0.5: weights squared, 16 : 4 : 1 : 1 -> 16/22, 4/22, 1/22, 1/22
        assertDistribution("T = 0.5", new double[] {16 / 22.0, 4 / 22.0, 1 / 22.0, 1 / 22.0, 0}, new Sampler(0.5f, 1f, 0, 8));
        // T = 2: square roots, 2 : sqrt 2 : 1 : 1 -> divided by 4 + sqrt 2
        double z = 4 + Math.sqrt(2);
        assertDistribution("T = 2", new double[] {2 / z, Math.sqrt(2) / z, 1 / z, 1 / z, 0}, new Sampler(2f, 1f, 0, 9));
    }

    @Test
    void topKKeepsTheKMostLikelyAndRenormalises() {
        // k = 2: 1/2 and 1/4 renormalised -> 2/3, 1/3
        assertDistribution("top-k 2", new double[] {2 / 3.0, 1 / 3.0, 0, 0, 0}, new Sampler(1f, 1f, 2, 10));
        // k = 1 is greedy
        assertDistribution("top-k 1", new double[] {1, 0, 0, 0, 0}, new Sampler(1f, 1f, 1, 11));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // p = 0.6: 1/2 < 0.6, 1/2 + 1/4 = 3/4 >= 0.6 -> the first two, 2/3 and 1/3
        assertDistribution("top-p 0.6", new double[] {2 / 3.0, 1 / 3.0, 0, 0, 0}, new Sampler(1f, 0.6f, 0, 12));
        // p = 0.8: 3/4 < 0.8, then 7/8 -> three tokens, 4/7, 2/7, 1/7 (the two 1/8 tie: the lower id is kept)
        assertDistribution("top-p 0.8", new double[] {4 / 7.0, 2 / 7.0, 1 / 7.0, 0, 0}, new Sampler(1f, 0.8f, 0, 13));
        // temperature first, then top-p: T = 0.5 gives 16/22 = 0.727 >= 0.7 -> only token 0
        assertDistribution("T = 0.5, top-p 0.7", new double[] {1, 0, 0, 0, 0}, new Sampler(0.5f, 0.7f, 0, 14));
    }

    @Test
    void topKThenTopP() {
        // k = 3 renormalises to 4/7, 2/7, 1/7; p = 0.8: 4/7 = 0.571, 6/7 = 0.857 >= 0.8 -> 2/3, 1/3
        assertDistribution("top-k 3, top-p 0.8", new double[] {2 / 3.0, 1 / 3.0, 0, 0, 0}, new Sampler(1f, 0.8f, 3, 15));
    }

    @Test
    void theSameSeedDrawsTheSameSequenceAndTemperatureZeroIsGreedy() {
        int[] a = new int[200], b = new int[200];
        Sampler s1 = new Sampler(1f, 0.9f, 3, 42), s2 = new Sampler(1f, 0.9f, 3, 42);
        for (int i = 0; i < a.length; i++) { a[i] = s1.sample(LOGITS.clone()); b[i] = s2.sample(LOGITS.clone()); }
        assertArrayEquals(a, b, "two samplers with seed 42");
        Sampler greedy = new Sampler(0f, 1f, 0, 1);
        assertEquals(2, greedy.sample(new float[] {0f, 1f, 3f, 3f}), "temperature 0: argmax, the lower id on ties");
    }
}
