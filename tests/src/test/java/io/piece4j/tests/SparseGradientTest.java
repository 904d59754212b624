package io.piece4j.tests;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Under a fixed mask, weight gradients computed only at the masked (row, column) pairs (a sampled
 * matrix product) agree with the dense gradients there, and training along both paths gives the same
 * trajectory. Tolerance: 1e-5 relative to the largest gradient (the two paths sum the same products in
 * different orders), 1e-5 on parameters after 10 steps.
 */
class SparseGradientTest {
    static Stream<String> backends() {
        return TestBackends.all();
    }

    private static float[] gradient(LlamaModel m, TokenBatch b, int[] trainable) {
        m.setTrainableIndices(trainable);
        m.gradients().zero();
        m.loss(b.tokens(), b.targets(), b.batch(), b.seq()).backward();
        return m.gradients().toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sampledAndDenseWeightGradientsAgreeAtMaskedPositions(String name) {
        try (Backend be = Backends.create(name, 2)) {
            LlamaModel m = TinyModels.model(be, 11);
            Rng rng = new Rng(12);
            TokenBatch b = TinyModels.batch(rng, 3, 16, 67, 4);
            Mask mask = ImportanceEstimation.run(m, List.of(b), Estimator.PIECE_F, 0.02, "t", 3).mask();
            float[] dense = gradient(m, b, null);
            float[] sparse = gradient(m, b, mask.indices());
            double max = 0;
            for (int i : mask.indices()) max = Math.max(max, Math.abs(dense[i]));
            for (int i : mask.indices()) {
                double err = Math.abs(dense[i] - sparse[i]);
                int at = i;
                double scale = max;
                assertTrue(err <= 1e-5 * scale, () -> name + ": gradient of " + m.layout().locate(at) + " dense " + dense[at]
                        + " sampled " + sparse[at] + " (difference " + err + " > " + 1e-5 * scale + ")");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sampledBackwardStopsBelowTheLowestMaskedLayer(String name) {
        try (Backend be = Backends.create(name, 2)) {
            LlamaModel m = TinyModels.model(be, 13);
            TokenBatch b = TinyModels.batch(new Rng(14), 2, 8, 67, 2);
            long firstOfLayer1 = m.layout().get("layers.1.attn_norm").offset();
            m.setTrainableIndices(new int[] {(int) firstOfLayer1 + 3, (int) m.layout().get("layers.1.mlp.w_up").offset() + 100});
            Autograd.clearTape();
            m.loss(b.tokens(), b.targets(), b.batch(), b.seq());
            int sparseSteps = Autograd.tapeSize();
            Autograd.clearTape();
            m.setTrainableIndices(null);
            m.loss(b.tokens(), b.targets(), b.batch(), b.seq());
            int denseSteps = Autograd.tapeSize();
            Autograd.clearTape();
            assertTrue(sparseSteps < denseSteps * 0.6, name + ": with a mask only in layer 1 the tape should not record layer 0 and the"
                    + " embedding: " + sparseSteps + " steps vs " + denseSteps + " dense");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void maskedTrainingTrajectoriesAgree(String name) {
        try (Backend be = Backends.create(name, 2)) {
            LlamaModel sparse = TinyModels.model(be, 21), dense = TinyModels.model(be, 21);
            Rng rng = new Rng(22);
            List<TokenBatch> data = List.of(TinyModels.batch(rng, 2, 12, 67, 3), TinyModels.batch(rng, 2, 12, 67, 3));
            Mask mask = ImportanceEstimation.run(sparse, data, Estimator.PIECE_S, 0.01, "t", 2).mask();
            sparse.setTrainableIndices(mask.indices());
            dense.setTrainableIndices(null);
            MaskedAdamW.Settings s = MaskedAdamW.Settings.piece();
            MaskedAdamW os = new MaskedAdamW(sparse.parameters(), sparse.gradients(), mask, s);
            MaskedAdamW od = new MaskedAdamW(dense.parameters(), dense.gradients(), mask, s);
            for (int step = 0; step < 10; step++) {
                TokenBatch b = data.get(step % 2);
                for (var pair : List.of(List.of(sparse, os), List.of(dense, od))) {
                    LlamaModel m = (LlamaModel) pair.get(0);
                    m.gradients().zero();
                    m.loss(b.tokens(), b.targets(), b.batch(), b.seq()).backward();
                    ((MaskedAdamW) pair.get(1)).step(1e-2f);
                }
            }
            float[] a = sparse.parameters().toArray(), d = dense.parameters().toArray();
            for (int i = 0; i < a.length; i++) {
                int at = i;
                assertTrue(Math.abs(a[i] - d[i]) <= 1e-5, () -> name + ": parameter " + sparse.layout().locate(at) + " sparse path "
                        + a[at] + " vs dense path " + d[at] + " after 10 steps");
            }
        }
    }
}
