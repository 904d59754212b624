package io.piece4j.tests;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.format.RopePermutation;
import io.piece4j.nn.format.SafetensorsFile;
import io.piece4j.nn.generate.Generator;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.ImportanceAccumulator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java Llama against an independent PyTorch implementation (tests/golden/make_golden.py, computed in float64):
 * three tiny models with GQA and an odd hidden size: one with an untied output head, one whose head is its token
 * embedding (as in every llama2.c checkpoint: the embedding's gradient is then the sum of both uses), and one whose
 * head_dim (12) is not dim / heads (8), so q_proj is (48, 32) and o_proj (32, 48). Each is loaded from Hugging Face
 * safetensors (half-split RoPE) and, where the format can hold it, from a llama2.c .bin (interleaved RoPE, permuted
 * q/k rows; llama2.c derives the head size from dim / heads), on every backend. Greedy decoding must match exactly.
 *
 * <p>Tolerances are relative to the largest magnitude of each compared tensor, and are 4 x the worst error measured
 * over both models, both files, ref and simd (at 16, 8 and 4 lanes; {@code -Dpiece.golden.report=true} prints the
 * ratios): logits 5.8e-7, loss below one float32 ulp (the limit is 4 ulps), gradients 1.15e-6, SGD losses 5.6e-7,
 * G and H 1.53e-6, PIECE-S 1.27e-6. (PyTorch's own float32 gradients differ from these float64 ones by 7.7e-7.)
 */
class GoldenLlamaTest {
    static final double LOGITS = 2.4e-6, LOSS = 4.8e-7, GRADIENTS = 4.6e-6, SGD = 2.3e-6, IMPORTANCE = 6.2e-6, PIECE_S = 5.1e-6;

    private static final boolean REPORT = Boolean.getBoolean("piece.golden.report");
    private static final Map<String, Double> WORST = new LinkedHashMap<>();
    private static final Map<String, SafetensorsFile> EXPECTED = new LinkedHashMap<>();
    private static Path root;

    @BeforeAll
    static void open() throws Exception {
        root = Path.of(GoldenLlamaTest.class.getResource("/golden/tiny-llama/expected.safetensors").toURI()).getParent().getParent();
        for (String model : models().toList()) EXPECTED.put(model, SafetensorsFile.open(root.resolve(model).resolve("expected.safetensors")));
    }

    @AfterAll
    static void close() {
        EXPECTED.values().forEach(SafetensorsFile::close);
        if (REPORT) WORST.forEach((k, v) -> System.out.printf("golden worst error %-22s %.3e of the largest magnitude%n", k, v));
    }

    static Stream<String> backends() { return TestBackends.all(); }

    static Stream<String> models() { return Stream.of("tiny-llama", "tiny-llama-tied", "tiny-llama-head12"); }

    /** The model files of a model: safetensors, and llama2.c's .bin unless the head size is not dim / heads. */
    static Stream<String> formats(String model) {
        return model.endsWith("head12") ? Stream.of("model.safetensors") : Stream.of("model.safetensors", "model.bin");
    }

    static Stream<Arguments> backendsAndModels() {
        return backends().flatMap(b -> models().map(m -> Arguments.of(b, m)));
    }

    static Stream<Arguments> cases() {
        return backends().flatMap(b -> models().flatMap(m -> formats(m).map(f -> Arguments.of(b, m, f))));
    }

    private static int[] ints(String model, String name) throws Exception {
        long[] v = EXPECTED.get(model).readLongs(name);
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }

    private static float[] floats(String model, String name) throws Exception {
        return EXPECTED.get(model).readFloats(name);
    }

    /** |got - want| <= rel x max |want|, elementwise; `kind` names the tolerance in the report. */
    static void assertClose(String kind, String what, float[] want, float[] got, double rel) {
        assertEquals(want.length, got.length, what + ": length");
        double max = 1e-30;
        for (float w : want) max = Math.max(max, Math.abs(w));
        double worst = 0;
        int at = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs((double) got[i] - want[i]);
            if (!(err <= worst)) { worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err; at = i; }
        }
        WORST.merge(kind, worst / max, Math::max);
        if (!REPORT && !(worst <= rel * max)) {
            throw new AssertionError(what + ": element " + at + " is " + got[at] + ", PyTorch " + want[at] + " (error " + worst
                    + " = " + worst / max + " x max |value| " + max + ", tolerance " + rel + " x)");
        }
    }

    /** The expected gradient of a parameter in the file's own row order (interleaved files permute wq and wk). */
    private static float[] expectedGradient(String model, String param, LlamaConfig c) throws Exception {
        float[] g = floats(model, "grad." + param);
        if (c.ropeLayout() == LlamaConfig.RopeLayout.INTERLEAVED && (param.endsWith("attn.wq") || param.endsWith("attn.wk"))) {
            int heads = param.endsWith("attn.wq") ? c.heads() : c.kvHeads();
            g = RopePermutation.halfSplitToInterleaved(g, heads * c.headDim(), c.dim(), heads);
        }
        return g;
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void logitsLossAndEveryGradientMatchPyTorch(String backend, String model, String file) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = ModelFiles.load(root.resolve(model).resolve(file), be);
            assertEquals(model.endsWith("tied"), m.config().tiedEmbeddings(), model + "/" + file + ": tied head");
            assertEquals(model.endsWith("head12") ? 12 : 8, m.config().headDim(), model + "/" + file + ": head_dim");
            int[] tokens = ints(model, "tokens"), targets = ints(model, "targets");
            m.enableGradients();
            Tensor logits = m.forward(tokens, 2, 12);
            String where = model + "/" + file + " on " + backend;
            assertClose("logits", where + " logits", floats(model, "logits"), logits.toArray(), LOGITS);
            Tensor loss = io.piece4j.tensor.ops.CrossEntropy.mean(logits, targets);
            assertClose("loss", where + " loss", floats(model, "loss"), new float[] {loss.item()}, LOSS);
            loss.backward();
            int compared = 0;
            for (ParameterLayout.Entry e : m.layout().entries()) {
                float[] got = m.gradients().rowsNoGrad((int) e.offset(), (int) e.numel()).toArray();
                assertClose("gradients", where + " gradient of " + e.name(), expectedGradient(model, e.name(), m.config()), got, GRADIENTS);
                compared++;
            }
            assertEquals(m.config().tiedEmbeddings() ? 20 : 21, compared, "parameters compared (a tied model has no output head)");
        }
    }

    /** llm.c's check: five plain SGD steps (lr 0.1) on the batch give PyTorch's loss trajectory. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndModels")
    void sgdLossTrajectoryMatchesPyTorch(String backend, String model) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = ModelFiles.load(root.resolve(model).resolve("model.safetensors"), be);
            int[] tokens = ints(model, "tokens"), targets = ints(model, "targets");
            Tensor grads = m.enableGradients();
            float[] losses = new float[5];
            for (int step = 0; step < 5; step++) {
                grads.zero();
                Tensor loss = m.loss(tokens, targets, 2, 12);
                losses[step] = loss.item();
                loss.backward();
                be.addScaled(m.parameters(), grads, -0.1f);
            }
            assertClose("sgd losses", model + " on " + backend + " SGD losses", floats(model, "sgd_losses"), losses, SGD);
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void greedyDecodingReproducesPyTorchExactly(String backend, String model, String file) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = ModelFiles.load(root.resolve(model).resolve(file), be);
            int[] want = ints(model, "greedy_ids");
            int[] got = Generator.generate(m, ints(model, "greedy_prompt"), 24, Sampler.greedy(), 1, 2, null);
            assertArrayEquals(want, got, model + "/" + file + " on " + backend + ": greedy ids");
        }
    }

    /**
     * PIECE's G and H over two batches; embeddings (and so a tied head) are never scored: their G and H stay 0 by
     * design, so PyTorch's values for them are not compared.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndModels")
    void importanceSumsMatchPyTorch(String backend, String model) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = ModelFiles.load(root.resolve(model).resolve("model.safetensors"), be);
            List<TokenBatch> batches = new ArrayList<>();
            for (int i = 0; i < 2; i++) batches.add(new TokenBatch(ints(model, "imp_tokens_" + i), ints(model, "imp_targets_" + i), 2, 10));
            ImportanceAccumulator acc = ImportanceEstimation.accumulate(m, batches);
            for (ParameterLayout.Entry e : m.layout().entries()) {
                float[] g = acc.g().rowsNoGrad((int) e.offset(), (int) e.numel()).toArray();
                float[] h = acc.h().rowsNoGrad((int) e.offset(), (int) e.numel()).toArray();
                if (e.name().equals("tok_embeddings")) {
                    for (int i = 0; i < g.length; i++) assertTrue(g[i] == 0f && h[i] == 0f, model + ": embeddings are never scored");
                    continue;
                }
                String where = model + " on " + backend + " ";
                assertClose("importance G and H", where + "G of " + e.name(), floats(model, "imp.G." + e.name()), g, IMPORTANCE);
                assertClose("importance G and H", where + "H of " + e.name(), floats(model, "imp.H." + e.name()), h, IMPORTANCE);
                float[] s = new float[g.length];
                for (int i = 0; i < s.length; i++) s[i] = io.piece4j.piece.Estimator.PIECE_S.score(g[i], h[i]);
                assertClose("PIECE-S", where + "PIECE-S of " + e.name(), floats(model, "imp.piece_s." + e.name()), s, PIECE_S);
            }
            assertEquals(2, acc.batches());
        }
    }

    /**
     * PIECE-S top 1 % of the eligible parameters, selected from the Java scores, against the top 1 % of PyTorch's
     * scores: the same coordinates except where two scores lie within the score tolerance of the k-th one. The input
     * embeddings, which in the tied model are also the output head, are never eligible.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("backendsAndModels")
    void maskSelectionIsTheTopKOfPyTorchScores(String backend, String model) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = ModelFiles.load(root.resolve(model).resolve("model.safetensors"), be);
            List<TokenBatch> batches = new ArrayList<>();
            for (int i = 0; i < 2; i++) batches.add(new TokenBatch(ints(model, "imp_tokens_" + i), ints(model, "imp_targets_" + i), 2, 10));
            io.piece4j.piece.Mask mask = ImportanceEstimation.select(ImportanceEstimation.accumulate(m, batches), m.layout(),
                    io.piece4j.piece.Estimator.PIECE_S, 0.01, "golden", "", 2);
            long embeddings = (long) m.config().vocabSize() * m.config().dim();
            long p = m.layout().size();
            assertEquals(p - embeddings, mask.eligibleCount(), model + ": eligible parameters are all but the input embeddings");
            int k = io.piece4j.piece.Mask.budget(0.01, p - embeddings);
            assertEquals(k, mask.size(), model + ": k = floor(0.01 x eligible)");

            float[] torch = new float[(int) p]; // PyTorch's PIECE-S in the flat layout; embeddings not eligible
            java.util.Arrays.fill(torch, Float.NEGATIVE_INFINITY);
            double maxScore = 0;
            for (ParameterLayout.Entry e : m.layout().entries()) {
                if (e.name().equals("tok_embeddings")) continue;
                float[] s = floats(model, "imp.piece_s." + e.name());
                System.arraycopy(s, 0, torch, (int) e.offset(), s.length);
                for (float v : s) maxScore = Math.max(maxScore, v);
            }
            Integer[] order = new Integer[torch.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            java.util.Arrays.sort(order, (a, b) -> torch[a] != torch[b] ? Float.compare(torch[b], torch[a]) : Integer.compare(a, b));
            java.util.Set<Integer> torchTop = new java.util.HashSet<>(java.util.Arrays.asList(order).subList(0, k));
            float kth = torch[order[k - 1]];
            double margin = 2 * PIECE_S * maxScore;
            for (int i : mask.indices()) {
                assertTrue(i >= embeddings, model + ": embedding coordinate " + i + " selected");
                assertTrue(torchTop.contains(i) || Math.abs(torch[i] - kth) <= margin, model + " on " + backend + ": " + m.layout().locate(i)
                        + " selected with PyTorch score " + torch[i] + ", below PyTorch's k-th score " + kth + " by more than " + margin);
            }
            java.util.Set<Integer> selected = new java.util.HashSet<>();
            for (int i : mask.indices()) selected.add(i);
            for (int i : torchTop) {
                assertTrue(selected.contains(i) || Math.abs(torch[i] - kth) <= margin, model + " on " + backend + ": " + m.layout().locate(i)
                        + " has PyTorch score " + torch[i] + ", above the k-th " + kth + " by more than " + margin + ", but was not selected");
            }
        }
    }

    /**
     * llama2.c .bin (safetensors for head_dim 12) -> GGUF -> safetensors -> .bin (all f32; the last step only where
     * llama2.c can hold the model): the parameters come back bit-identical (q/k rows permuted to half-split and back),
     * and every intermediate file computes the PyTorch logits.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void conversionsBetweenFormatsPreserveTheModel(String model) throws Exception {
        Path tmp = java.nio.file.Files.createTempDirectory("convert");
        Backend be = new io.piece4j.tensor.cpu.RefBackend();
        boolean llama2c = formats(model).anyMatch(f -> f.equals("model.bin"));
        LlamaModel original = ModelFiles.load(root.resolve(model).resolve(llama2c ? "model.bin" : "model.safetensors"), be);
        Path gguf = tmp.resolve("m.gguf"), st = tmp.resolve("st/model.safetensors"), bin = tmp.resolve("back.bin");
        ModelFiles.save(original, gguf, ModelFiles.Format.GGUF, "f32", null);
        LlamaModel fromGguf = ModelFiles.load(gguf, be);
        ModelFiles.save(fromGguf, st, ModelFiles.Format.SAFETENSORS, "f32", null);
        LlamaModel fromSt = ModelFiles.load(st, be);
        assertEquals(LlamaConfig.RopeLayout.HALF_SPLIT, fromSt.config().ropeLayout());
        LlamaModel back = fromSt;
        if (llama2c) {
            ModelFiles.save(fromSt, bin, ModelFiles.Format.LLAMA2C, "f32", null);
            back = ModelFiles.load(bin, be);
        }
        assertArrayEquals(original.parameters().toArray(), back.parameters().toArray(), model + ": the conversions must be exact");
        for (LlamaModel m : List.of(fromGguf, fromSt, back)) {
            assertEquals(model.endsWith("tied"), m.config().tiedEmbeddings(), "tied head kept through conversion");
            assertEquals(original.config().headDim(), m.config().headDim(), "head_dim kept through conversion");
            try (var noGrad = io.piece4j.tensor.Autograd.noGrad()) {
                assertClose("logits", model + " " + m.config().ropeLayout() + " logits after conversion", floats(model, "logits"),
                        m.forward(ints(model, "tokens"), 2, 12).toArray(), LOGITS);
            }
        }
    }
}
