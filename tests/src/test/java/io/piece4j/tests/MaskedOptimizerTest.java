package io.piece4j.tests;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.optim.AdamW;
import io.piece4j.nn.optim.GradientClipping;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MaskedAdamW against dense AdamW, and masked training leaving every other parameter bit-identical.
 * Runs on every available backend.
 */
class MaskedOptimizerTest {
    static Stream<String> backends() {
        return TestBackends.all();
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }

    private static Mask mask(int[] idx, long p) {
        return new Mask(idx, p, p, (double) idx.length / p, "test", "t", "", 0, 0);
    }

    /** The same gradients through MaskedAdamW (mask = all) and dense AdamW + clipping: identical bits. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void fullMaskEqualsDenseAdamWBitForBit(String name) {
        try (Backend be = Backends.create(name, 2)) {
            int p = 1000;
            Rng rng = new Rng(1);
            Tensor a = Tensor.randn(be, rng, 1f, p), b = a.copy();
            Tensor ga = Tensor.zeros(be, p), gb = Tensor.zeros(be, p);
            b.setGrad(gb);
            int[] all = new int[p];
            for (int i = 0; i < p; i++) all[i] = i;
            MaskedAdamW masked = new MaskedAdamW(a, ga, mask(all, p), new MaskedAdamW.Settings(0.9f, 0.95f, 1e-8f, 0.1f, 1.0));
            AdamW dense = new AdamW(List.of(b), new AdamW.Settings(1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f));
            for (int step = 0; step < 20; step++) {
                float[] g = Tensor.randn(be, rng, step % 3 == 0 ? 5f : 0.01f, p).toArray(); // some steps clip, some do not
                ga.copyFrom(g);
                gb.copyFrom(g);
                masked.step(1e-3f);
                GradientClipping.clip(List.of(b), 1.0);
                dense.step();
            }
            org.junit.jupiter.api.Assertions.assertArrayEquals(bits(b.toArray()), bits(a.toArray()),
                    name + ": MaskedAdamW with a full mask must equal dense AdamW bit for bit");
        }
    }

    /**
     * With a partial mask, MaskedAdamW equals dense AdamW applied to the masked gradient (zero elsewhere),
     * as the original method computes it, and with weight decay 0 nothing outside the mask moves.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void partialMaskEqualsDenseAdamWOnMaskedGradients(String name) {
        try (Backend be = Backends.create(name, 2)) {
            int p = 777;
            Rng rng = new Rng(2);
            int[] idx = java.util.stream.IntStream.range(0, p).filter(i -> i % 7 == 3 || i % 11 == 0).toArray();
            Tensor a = Tensor.randn(be, rng, 1f, p), b = a.copy();
            float[] start = a.toArray();
            Tensor ga = Tensor.zeros(be, p), gb = Tensor.zeros(be, p);
            b.setGrad(gb);
            MaskedAdamW masked = new MaskedAdamW(a, ga, mask(idx, p), new MaskedAdamW.Settings(0.9f, 0.95f, 1e-8f, 0f, 1.0));
            AdamW dense = new AdamW(List.of(b), new AdamW.Settings(1e-2f, 0.9f, 0.95f, 1e-8f, 0f));
            for (int step = 0; step < 15; step++) {
                float[] g = Tensor.randn(be, rng, step % 2 == 0 ? 3f : 0.02f, p).toArray();
                float[] gm = new float[p];
                for (int i : idx) gm[i] = g[i];
                ga.copyFrom(g);      // MaskedAdamW reads only the masked coordinates
                gb.copyFrom(gm);
                masked.step(1e-2f);
                GradientClipping.clip(List.of(b), 1.0);
                dense.step();
            }
            float[] got = a.toArray(), want = b.toArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(bits(want), bits(got), name + ": masked vs dense AdamW on masked gradients");
            int moved = 0;
            for (int i = 0; i < p; i++) if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(start[i])) moved++;
            assertEquals(idx.length, moved, "exactly the masked coordinates must change");
            assertEquals(2L * idx.length * 4, masked.stateBytes(), "state is k long");
        }
    }

    /**
     * 50 masked steps on a tiny Llama with clipping and a warm-up + cosine schedule, sampled weight
     * gradients: exactly the masked coordinates changed and every other parameter is bit-identical to the
     * start, compared over the whole flat buffer.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void fiftyMaskedStepsChangeExactlyTheMask(String name) {
        try (Backend be = Backends.create(name, 2)) {
            LlamaModel model = TinyModels.model(be, 3);
            Rng rng = new Rng(4);
            List<TokenBatch> data = List.of(TinyModels.batch(rng, 2, 12, 67, 3), TinyModels.batch(rng, 2, 12, 67, 3));
            Mask mask = ImportanceEstimation.run(model, data, Estimator.PIECE_S, 0.01, "t", 2).mask();
            float[] start = model.parameters().toArray();
            TrainSettings s = new TrainSettings(1, 5e-2f, "cosine", 5, 2, 1, 0.5, 0.9f, 0.95f, 1e-8f, 0f, 7, 0, false);
            model.setTrainableIndices(mask.indices());
            MaskedAdamW opt = new MaskedAdamW(model.parameters(), model.gradients(), mask,
                    new MaskedAdamW.Settings(0.9f, 0.95f, 1e-8f, 0f, s.maxGradNorm()));
            for (int step = 0; step < 50; step++) {
                TokenBatch b = data.get(step % 2);
                model.gradients().zero();
                model.loss(b.tokens(), b.targets(), b.batch(), b.seq()).backward();
                opt.step(s.learningRate(step, 50));
            }
            float[] end = model.parameters().toArray();
            int changedInMask = 0;
            for (int i = 0; i < end.length; i++) {
                boolean same = Float.floatToRawIntBits(end[i]) == Float.floatToRawIntBits(start[i]);
                if (!mask.contains(i)) {
                    int at = i;
                    assertTrue(same, () -> name + ": parameter " + model.layout().locate(at) + " is outside the mask but changed: "
                            + start[at] + " -> " + end[at]);
                } else if (!same) changedInMask++;
            }
            assertEquals(mask.size(), changedInMask, "every masked coordinate should have moved in 50 steps");
        }
    }
}
