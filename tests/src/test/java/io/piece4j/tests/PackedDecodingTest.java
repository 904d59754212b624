package io.piece4j.tests;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.format.ElementType;
import io.piece4j.nn.generate.Generator;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.DecodingPrecision;
import io.piece4j.nn.model.DecodingWeights;
import io.piece4j.nn.model.KvCache;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.model.PackedDecoder;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.Bf16Matrix;
import io.piece4j.tensor.spi.PackedMatrix;
import io.piece4j.tensor.spi.Q8Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoding with bfloat16 and Q8_0 weights is the float32 model evaluated on the rounded weights: the same function,
 * computed by another path ({@link PackedDecoder} and the backend's packed products against {@link KvCache} and its
 * float32 matrix products), so the greedy ids are the same and the logits differ only by summation order.
 */
class PackedDecodingTest {
    /** Every width a multiple of 32, so that Q8_0 can hold each matrix; GQA 4/2; max_seq_len 40. */
    static LlamaConfig config(boolean tied) {
        return new LlamaConfig(64, 2, 4, 2, 16, 96, 67, 40, 1e-5f, 10000f, tied, LlamaConfig.RopeLayout.INTERLEAVED, null);
    }

    static LlamaModel model(Backend be, boolean tied) {
        LlamaModel m = new LlamaModel(config(tied), be);
        m.initRandom(21, 0.3f); // large enough weights that the greedy choice is rarely a near tie
        return m;
    }

    /** Logits of the two paths may differ by this (summation order in float32; logits are of order 1 to 10). */
    private static final float SAME_FUNCTION = 2e-4f;

    static Stream<Arguments> backendsPrecisionsHeads() {
        List<Arguments> out = new ArrayList<>();
        TestBackends.all().forEach(b -> {
            for (DecodingPrecision p : new DecodingPrecision[] {DecodingPrecision.BF16, DecodingPrecision.Q8}) {
                out.add(Arguments.of(b, p, false));
                out.add(Arguments.of(b, p, true));
            }
        });
        return out.stream();
    }

    /** The packed matrix the store holds under a canonical parameter name, or null for a norm. */
    static PackedMatrix matrix(DecodingWeights w, String name) {
        if (name.equals("tok_embeddings")) return w.embeddings();
        if (name.equals("output")) return w.output();
        if (!name.startsWith("layers.")) return null;
        DecodingWeights.Layer l = w.layers().get(Integer.parseInt(name.split("\\.")[1]));
        LlamaConfig c = w.config();
        int qDim = c.heads() * c.headDim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
        return switch (name.substring(name.indexOf('.', 7) + 1)) { // wq, wk, wv and w_gate, w_up are row stretches of one matrix
            case "attn.wq" -> l.wqkv().rows(0, qDim);
            case "attn.wk" -> l.wqkv().rows(qDim, kvDim);
            case "attn.wv" -> l.wqkv().rows(qDim + kvDim, kvDim);
            case "attn.wo" -> l.wo();
            case "mlp.w_gate" -> l.wGateUp().rows(0, hidden);
            case "mlp.w_up" -> l.wGateUp().rows(hidden, hidden);
            case "mlp.w_down" -> l.wDown();
            default -> null;
        };
    }

    /** A float32 model whose every matrix holds the packed store's values widened back (norms as they were). */
    static LlamaModel roundedModel(LlamaModel original, DecodingWeights w) {
        LlamaModel r = new LlamaModel(original.config(), original.backend());
        Tensor params = r.parameters();
        for (ParameterLayout.Entry e : r.layout().entries()) {
            PackedMatrix m = matrix(w, e.name());
            float[] values;
            if (m == null) {
                values = original.parameter(e.name()).toArray();
            } else {
                values = new float[m.rows() * m.cols()];
                for (int i = 0; i < m.rows(); i++) m.rowAsFloats(i, values, i * m.cols());
            }
            original.backend().write(params.storage(), params.offset() + e.offset(), values, 0, values.length);
        }
        return r;
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
        return d;
    }

    @ParameterizedTest(name = "{0} {1} tied={2}")
    @MethodSource("backendsPrecisionsHeads")
    void greedyDecodingWithPackedWeightsIsTheFloat32ModelOnTheRoundedWeights(String backend, DecodingPrecision precision, boolean tied) {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel original = model(be, tied);
            DecodingWeights w = DecodingWeights.of(original, precision);
            LlamaModel rounded = roundedModel(original, w);

            // step by step from one prompt, both fed the same tokens: logits close, the same argmax every step
            KvCache reference = new KvCache(rounded), unrounded = new KvCache(original);
            PackedDecoder packed = new PackedDecoder(w, be, DecodingPrecision.F32);
            int[] feed = {1, 5, 9};
            float roundingEffect = 0;
            for (int step = 0; step < 30; step++) {
                float[] expected = reference.forward(feed), got = packed.forward(feed);
                roundingEffect = Math.max(roundingEffect, maxAbsDiff(unrounded.forward(feed), got));
                float diff = maxAbsDiff(expected, got);
                assertTrue(diff <= SAME_FUNCTION, precision + " step " + step + ": logits differ from the float32 model on the rounded"
                        + " weights by " + diff + " > " + SAME_FUNCTION);
                assertEquals(Sampler.argmax(expected), Sampler.argmax(got), precision + " step " + step + ": greedy ids differ");
                feed = new int[] {Sampler.argmax(expected)};
            }
            // the test can tell the formats apart: rounding the weights moved the logits far more than the tolerance
            assertTrue(roundingEffect > 10 * SAME_FUNCTION, precision + ": the rounded weights changed the logits by only " + roundingEffect);

            // and whole greedy generations give the same ids
            int[] prompt = {1, 7, 3, 12};
            int[] fromRounded = Generator.generate(new KvCache(rounded), prompt, 40, Sampler.greedy(), -1, -1, null);
            int[] fromPacked = Generator.generate(new PackedDecoder(w, be, DecodingPrecision.F32), prompt, 40, Sampler.greedy(), -1, -1, null);
            assertArrayEquals(fromRounded, fromPacked, precision + ": greedy generations differ");
            assertEquals(40, fromPacked.length);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.piece4j.tests.TestBackends#all")
    void attentionOverABfloat16CacheEqualsFloat32AttentionOverTheSameValues(String backend) {
        int tq = 3, tk = 10, cap = 12, heads = 4, kvHeads = 2, hd = 16;
        Rng rng = new Rng(5);
        float[] q = new float[tq * heads * hd], k = new float[cap * kvHeads * hd], v = new float[k.length];
        for (int i = 0; i < q.length; i++) q[i] = (float) rng.nextGaussian();
        short[] kb = new short[k.length], vb = new short[v.length];
        for (int i = 0; i < k.length; i++) {
            kb[i] = Bf16Matrix.toBf16((float) rng.nextGaussian());
            vb[i] = Bf16Matrix.toBf16((float) rng.nextGaussian());
            k[i] = Bf16Matrix.toFloat(kb[i]);
            v[i] = Bf16Matrix.toFloat(vb[i]);
        }
        try (Backend be = Backends.create(backend, 2)) {
            Tensor tq4 = Tensor.of(be, q, 1, tq, heads, hd);
            Tensor expected = Tensor.zeros(be, 1, tq, heads, hd), got = Tensor.zeros(be, 1, tq, heads, hd);
            be.attention(tq4, Tensor.of(be, k, 1, cap, kvHeads, hd), Tensor.of(be, v, 1, cap, kvHeads, hd), expected, null, 1, tq, tk, cap,
                    heads, kvHeads, hd);
            be.attentionBf16Cache(tq4, kb, vb, got, tq, tk, heads, kvHeads, hd);
            float diff = maxAbsDiff(expected.toArray(), got.toArray());
            assertTrue(diff <= 1e-5f, backend + ": bf16-cache attention differs by " + diff);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.piece4j.tests.TestBackends#all")
    void aBfloat16KvCacheChangesTheLogitsOnlyByTheRoundingOfKeysAndValues(String backend) {
        try (Backend be = Backends.create(backend, 2)) {
            DecodingWeights w = DecodingWeights.of(model(be, false), DecodingPrecision.BF16);
            PackedDecoder f32Cache = new PackedDecoder(w, be, DecodingPrecision.F32), bf16Cache = new PackedDecoder(w, be, DecodingPrecision.BF16);
            int[] feed = {1, 4, 2, 8};
            float worst = 0, scale = 0;
            for (int step = 0; step < 20; step++) {
                float[] a = f32Cache.forward(feed), b = bf16Cache.forward(feed);
                worst = Math.max(worst, maxAbsDiff(a, b));
                for (float x : a) scale = Math.max(scale, Math.abs(x));
                feed = new int[] {Sampler.argmax(a)};
            }
            // bf16 keeps 8 significant bits: the logits move by a few parts in a thousand of their size, not more
            assertTrue(worst > 0 && worst <= 0.02f * scale, backend + ": bf16 KV cache moved the logits by " + worst + " (largest logit " + scale + ")");
        }
    }

    @Test
    void aGgufBf16FileIsTakenAsStoredAndHoldsTheBitsRoundingGives() throws Exception {
        Path dir = Files.createTempDirectory("bf16-gguf");
        try (Backend be = new RefBackend()) {
            LlamaModel m = model(be, true);
            Path file = dir.resolve("model-bf16.gguf");
            ModelFiles.save(m, file, ModelFiles.Format.GGUF, "bf16", null);
            DecodingWeights rounded = DecodingWeights.of(m, DecodingPrecision.BF16);
            try (Checkpoint c = Checkpoint.open(file)) {
                DecodingWeights fromFile = DecodingWeights.of(c, DecodingPrecision.BF16);
                long matrixValues = 0, normValues = 0;
                for (ParameterLayout.Entry e : m.layout().entries()) {
                    PackedMatrix q = matrix(fromFile, e.name());
                    if (q == null) { normValues += e.numel(); continue; }
                    matrixValues += e.numel();
                    assertTrue(c.tensor(e.name()).storedAs(ElementType.BF16), e.name() + " is stored as BF16");
                    assertArrayEquals(((Bf16Matrix) matrix(rounded, e.name())).bits(), assertInstanceOf(Bf16Matrix.class, q).bits(), e.name());
                }
                assertEquals(2 * matrixValues + 4 * normValues, fromFile.byteSize(), "2 bytes per matrix value, norms in float32, the tied head once");
            }
        }
    }

    @Test
    void aGgufQ8_0FileDecodesThroughTheQ8PathWithoutAFloat32CopyOfItsMatrices() throws Exception {
        Path dir = Files.createTempDirectory("q8-gguf");
        try (Backend be = new RefBackend()) {
            LlamaModel m = model(be, false);
            Path file = dir.resolve("model-q8_0.gguf");
            ModelFiles.save(m, file, ModelFiles.Format.GGUF, "q8_0", null);
            DecodingWeights fromModel = DecodingWeights.of(m, DecodingPrecision.Q8);
            DecodingWeights fromFile;
            long matrixValues = 0, normValues = 0;
            Map<String, PackedMatrix> checked = new HashMap<>();
            try (Checkpoint c = Checkpoint.open(file)) {
                fromFile = DecodingWeights.of(c, DecodingPrecision.Q8);
                for (ParameterLayout.Entry e : m.layout().entries()) {
                    PackedMatrix q = matrix(fromFile, e.name());
                    if (q == null) { normValues += e.numel(); continue; }
                    matrixValues += e.numel();
                    assertTrue(c.tensor(e.name()).storedAs(ElementType.Q8_0), e.name() + " is stored as Q8_0");
                    Q8Matrix q8 = assertInstanceOf(Q8Matrix.class, q, e.name());
                    // the file's own values, dequantised by the checkpoint reader, are the store's
                    float[] fileRow = new float[q.cols()], storeRow = new float[q.cols()];
                    for (int r = 0; r < q.rows(); r += 7) {
                        c.tensor(e.name()).readRange((long) r * q.cols(), q.cols(), fileRow, 0);
                        q8.rowAsFloats(r, storeRow, 0);
                        assertArrayEquals(fileRow, storeRow, e.name() + " row " + r);
                    }
                    checked.put(e.name(), q);
                }
            }
            // structurally: 1 byte per matrix value plus a 4-byte scale per 32, the norms in float32, nothing else
            assertEquals(matrixValues + matrixValues / 32 * 4 + normValues * 4, fromFile.byteSize(), "bytes the q8 store holds");
            assertTrue(fromFile.byteSize() * 3 < 4 * (matrixValues + normValues), "under a third of the float32 weights");
            // the file holds what quantising the model in memory gives, value for value
            for (Map.Entry<String, PackedMatrix> e : checked.entrySet()) {
                Q8Matrix a = (Q8Matrix) e.getValue(), b = (Q8Matrix) matrix(fromModel, e.getKey());
                assertArrayEquals(b.quants(), a.quants(), e.getKey() + " int8 values");
                assertArrayEquals(b.scales(), a.scales(), e.getKey() + " scales");
            }
            assertSame(fromFile.embeddings(), matrix(fromFile, "tok_embeddings"));
        }
    }
}
