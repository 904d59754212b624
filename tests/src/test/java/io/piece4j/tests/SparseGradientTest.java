package io.piece4j.tests;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Under a fixed mask, weight gradients computed only at the masked (row, column) pairs (a sampled
 * matrix product) agree with the dense gradients there, and training along both paths gives the same
 * trajectory, with an untied output head and with one tied to the token embedding (whose gradient is never
 * wanted under a PIECE mask, while the head still passes the gradient down). Tolerance: 1e-5 relative to the
 * largest gradient (the two paths sum the same products in different orders), 1e-5 on parameters after 10 steps.
 */
class SparseGradientTest {
    static Stream<String> backends() {
        return TestBackends.all();
    }

    static Stream<Arguments> backendsAndHeads() {
        return backends().flatMap(b -> Stream.of(Arguments.of(b, "untied"), Arguments.of(b, "tied")));
    }

    private static float[] gradient(LlamaModel m, TokenBatch b, int[] trainable) {
        m.setTrainableIndices(trainable);
        m.gradients().zero();
        m.loss(b.tokens(), b.targets(), b.batch(), b.seq()).backward();
        return m.gradients().toArray();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndHeads")
    void sampledAndDenseWeightGradientsAgreeAtMaskedPositions(String name, String head) {
        try (Backend be = Backends.create(name, 2)) {
            LlamaModel m = TinyModels.model(be, 11, head.equals("tied"));
            Rng rng = new Rng(12);
            TokenBatch b = TinyModels.batch(rng, 3, 16, 67, 4);
            Mask mask = ImportanceEstimation.run(m, List.of(b), Estimator.PIECE_F, 0.02, "t", 3).mask();
            assertTrue(mask.indices()[0] >= 67 * 32, name + " " + head + ": the embeddings (and a tied head) are never selected");
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

    /**
     * With trainable coordinates only in layer 1, a backward pass must not write the gradient of the embeddings, of
     * layer 0, or of a layer-1 weight with no trainable coordinate: the gradient buffer is filled with a sentinel first
     * and those entries must keep its bits. The same pass without a mask changes them (the check can fail).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndHeads")
    void weightsBelowTheLowestMaskedLayerAndUnmaskedWeightsGetNoGradient(String name, String head) {
        try (Backend be = Backends.create(name, 2)) {
            LlamaModel m = TinyModels.model(be, 13, head.equals("tied"));
            TokenBatch b = TinyModels.batch(new Rng(14), 2, 8, 67, 2);
            int norm1 = (int) m.layout().get("layers.1.attn_norm").offset(), up1 = (int) m.layout().get("layers.1.mlp.w_up").offset();
            int[] trainable = {norm1 + 3, up1 + 100};
            float sentinel = 0.3f;
            List<String> untouched = new java.util.ArrayList<>(List.of("tok_embeddings", "layers.1.attn.wq", "layers.1.attn.wk",
                    "layers.1.attn.wv", "layers.1.attn.wo", "layers.1.mlp_norm", "layers.1.mlp.w_gate", "layers.1.mlp.w_down", "norm"));
            if (!m.config().tiedEmbeddings()) untouched.add("output");
            for (var e : m.layout().entries()) if (e.name().startsWith("layers.0.")) untouched.add(e.name());

            for (boolean masked : new boolean[] {true, false}) {
                m.setTrainableIndices(masked ? trainable : null);
                m.gradients().fill(sentinel);
                m.loss(b.tokens(), b.targets(), b.batch(), b.seq()).backward();
                float[] g = m.gradients().toArray();
                for (String w : untouched) {
                    var e = m.layout().get(w);
                    int changed = 0;
                    for (long i = e.offset(); i < e.offset() + e.numel(); i++) {
                        if (Float.floatToRawIntBits(g[(int) i]) != Float.floatToRawIntBits(sentinel)) changed++;
                    }
                    if (masked) {
                        assertTrue(changed == 0, name + " " + head + ": " + changed + " gradient entries of " + w + " were written under a mask"
                                + " whose lowest trainable coordinate is in layer 1");
                    } else {
                        assertTrue(changed > 0, name + " " + head + ": the dense backward should write the gradient of " + w
                                + ", it changed " + changed + " of " + e.numel());
                    }
                }
                if (masked) {
                    assertTrue(g[norm1 + 3] != sentinel && g[up1 + 100] != sentinel, name + " " + head + ": the trainable coordinates get a gradient");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndHeads")
    void maskedTrainingTrajectoriesAgree(String name, String head) {
        try (Backend be = Backends.create(name, 2)) {
            boolean tied = head.equals("tied");
            LlamaModel sparse = TinyModels.model(be, 21, tied), dense = TinyModels.model(be, 21, tied);
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

    /**
     * Compact gradients (only the k masked gradients exist, no flat buffer of P) train to the same bits as sampled
     * gradients in the flat buffer: the same sums land at j instead of at the flat index, and clipping sums the same
     * squares in the same order. The mask holds norm-weight coordinates too, whose gradient is computed densely and
     * collected; two micro-batches per step check that gradients accumulate the same way.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndHeads")
    void compactGradientsTrainToTheSameBitsAsTheFlatBuffer(String name, String head) {
        try (Backend be = Backends.create(name, 2)) {
            boolean tied = head.equals("tied");
            LlamaModel compact = TinyModels.model(be, 31, tied), flat = TinyModels.model(be, 31, tied);
            Rng rng = new Rng(32);
            List<TokenBatch> data = List.of(TinyModels.batch(rng, 2, 12, 67, 3), TinyModels.batch(rng, 2, 12, 67, 3));
            Mask mask = ImportanceEstimation.run(flat, data, Estimator.PIECE_S, 0.02, "t", 2).mask();
            boolean hasNorm = false;
            for (int i : mask.indices()) hasNorm |= flat.layout().locate(i).entry().shape().length == 1;
            assertTrue(hasNorm, "the mask should hold a norm weight's coordinate (choose another ratio or seed)");
            flat.setTrainableIndices(mask.indices());
            var grads = compact.trainCompact(mask.indices());
            assertTrue(compact.gradients() == null, "training with compact gradients allocates no flat gradient buffer");
            MaskedAdamW.Settings s = MaskedAdamW.Settings.piece();
            MaskedAdamW oc = new MaskedAdamW(compact.parameters(), grads, mask, s);
            MaskedAdamW of = new MaskedAdamW(flat.parameters(), flat.gradients(), mask, s);
            for (int step = 0; step < 6; step++) {
                grads.zero();
                flat.gradients().zero();
                for (TokenBatch b : data) {
                    compact.loss(b.tokens(), b.targets(), b.batch(), b.seq()).backward();
                    flat.loss(b.tokens(), b.targets(), b.batch(), b.seq()).backward();
                }
                grads.collect();
                float[] gc = grads.values().toArray(), gf = flat.gradients().toArray();
                for (int j = 0; j < mask.size(); j++) {
                    int i = mask.indices()[j], jj = j, st = step;
                    assertTrue(Float.floatToRawIntBits(gc[j]) == Float.floatToRawIntBits(gf[i]), () -> name + " " + head + " step " + st
                            + ": gradient of " + flat.layout().locate(i) + " compact " + gc[jj] + ", flat " + gf[i]);
                }
                double nc = oc.step(1e-2f), nf = of.step(1e-2f);
                assertTrue(nc == nf, name + " " + head + ": gradient norm " + nc + " compact vs " + nf + " flat");
            }
            float[] a = compact.parameters().toArray(), d = flat.parameters().toArray();
            for (int i = 0; i < a.length; i++) {
                int at = i;
                assertTrue(Float.floatToRawIntBits(a[i]) == Float.floatToRawIntBits(d[i]), () -> name + " " + head + ": parameter "
                        + flat.layout().locate(at) + " compact " + a[at] + " vs flat " + d[at] + " after 6 steps");
            }
        }
    }
}
