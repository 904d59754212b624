package io.piece4j.piece.continual.methods;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.lora.LoraAdapter;
import io.piece4j.piece.lora.LoraSettings;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** O-LoRA's orthogonality penalty lambda * sum |A_old A_new^T| and its gradient. */
class OrthogonalityPenaltyTest {
    @Test
    void penaltyAndGradientEqualHandComputedValues() {
        float[] aOld = {1, 0, 2,
                        0, 1, -1};          // (2, 3)
        float[] aNew = {1, 1, 0,
                        2, 0, 1};           // (2, 3)
        // M = A_old A_new^T = [[1, 4], [1, -1]], sum |M| = 7, lambda 0.5 -> 3.5
        // dP/dA_new[k] = lambda * sum_i sign(M[i][k]) A_old[i]: k=0: 0.5 * ([1,0,2] + [0,1,-1]); k=1: 0.5 * ([1,0,2] - [0,1,-1])
        float[] grad = new float[6];
        double p = OrthogonalityPenalty.penalty(aOld, 2, aNew, 2, 3, 0.5, grad);
        assertEquals(3.5, p, 1e-12);
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f, -0.5f, 1.5f}, grad, 0f);
    }

    @Test
    void anOrthogonalRowHasNoPenaltyAndNoGradient() {
        float[] aOld = {1, 0, 0};
        float[] aNew = {0, 3, -2};          // <A_old, A_new> = 0: sign(0) = 0 as torch's abs
        float[] grad = new float[3];
        assertEquals(0.0, OrthogonalityPenalty.penalty(aOld, 1, aNew, 1, 3, 0.5, grad), 0.0);
        assertArrayEquals(new float[3], grad, 0f);
    }

    @Test
    void gradientEqualsCentralFiniteDifferences() {
        Rng rng = new Rng(3);
        int rOld = 6, r = 3, in = 10;
        float[] aOld = new float[rOld * in], aNew = new float[r * in];
        for (int i = 0; i < aOld.length; i++) aOld[i] = (float) rng.nextGaussian();
        for (int i = 0; i < aNew.length; i++) aNew[i] = (float) rng.nextGaussian();
        float[] grad = new float[r * in];
        OrthogonalityPenalty.penalty(aOld, rOld, aNew, r, in, 0.7, grad);
        float h = 1e-2f; // |x| is linear away from 0; M's entries are of order 1, far from their kinks
        for (int j = 0; j < aNew.length; j++) {
            float keep = aNew[j];
            aNew[j] = keep + h;
            double up = OrthogonalityPenalty.penalty(aOld, rOld, aNew, r, in, 0.7, new float[r * in]);
            aNew[j] = keep - h;
            double down = OrthogonalityPenalty.penalty(aOld, rOld, aNew, r, in, 0.7, new float[r * in]);
            aNew[j] = keep;
            double fd = (up - down) / ((double) (keep + h) - (double) (keep - h));
            assertEquals(fd, grad[j], 1e-4 * (1 + Math.abs(fd)), "dP/dA_new[" + j + "]");
        }
    }

    @Test
    void theHookAddsTheGradientToEveryAdaptersAOnlyAndReturnsThePenalty() {
        LlamaConfig c = new LlamaConfig(16, 2, 2, 1, 8, 24, 40, 16, 1e-5f, 10000f, true, LlamaConfig.RopeLayout.INTERLEAVED, null);
        LlamaModel m = new LlamaModel(c, new RefBackend());
        m.initRandom(1, 0.1f);
        LoraAdapter current = LoraAdapter.create(m, new LoraSettings(2, 4, java.util.List.of("attn.wq", "attn.wv")), 4);
        Map<String, float[]> oldA = new LinkedHashMap<>();
        Rng rng = new Rng(5);
        double expected = 0;
        Map<String, float[]> expectedGrad = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : current.pairs()) {
            float[] old = new float[4 * p.in()]; // two earlier tasks of rank 2
            for (int i = 0; i < old.length; i++) old[i] = (float) rng.nextGaussian();
            oldA.put(p.weight(), old);
            float[] g = new float[2 * p.in()];
            expected += OrthogonalityPenalty.penalty(old, 4, p.a().toArray(), 2, p.in(), 0.5, g);
            expectedGrad.put(p.weight(), g);
        }
        Tensor grads = current.gradients();
        grads.fill(0.25f); // the loss's gradient, which the penalty adds to
        double value = new OrthogonalityPenalty(0.5, current, oldA).beforeStep(m, grads, 0);
        assertEquals(expected, value, 1e-9 * expected);
        for (LoraAdapter.Pair p : current.pairs()) {
            float[] want = expectedGrad.get(p.weight());
            for (int i = 0; i < want.length; i++) want[i] += 0.25f;
            assertArrayEquals(want, p.a().grad().toArray(), 1e-6f, p.weight() + ": A's gradient = loss gradient + penalty gradient");
            float[] b = p.b().grad().toArray();
            for (float v : b) assertEquals(0.25f, v, p.weight() + ": B's gradient is untouched");
        }
    }
}
