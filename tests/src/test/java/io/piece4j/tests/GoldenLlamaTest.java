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
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java Llama against an independent PyTorch implementation (tests/golden/make_golden.py, computed in
 * float64): a tiny model with GQA, an odd hidden size and an untied head, loaded from Hugging Face
 * safetensors (half-split RoPE) and from a llama2.c .bin (interleaved RoPE, permuted q/k rows), on every
 * backend. Tolerances, relative to the largest magnitude of each compared tensor: logits 1e-5, loss 1e-5,
 * gradients 1e-4, SGD losses 1e-5, importance sums G and H 1e-4. Greedy decoding must match exactly.
 */
class GoldenLlamaTest {
    private static SafetensorsFile expected;
    private static Path dir;

    @BeforeAll
    static void open() throws Exception {
        dir = Path.of(GoldenLlamaTest.class.getResource("/golden/tiny-llama/expected.safetensors").toURI()).getParent();
        expected = SafetensorsFile.open(dir.resolve("expected.safetensors"));
    }

    @AfterAll
    static void close() { expected.close(); }

    static Stream<String> backends() {
        return TestBackends.all();
    }

    static Stream<String> formats() { return Stream.of("model.safetensors", "model.bin"); }

    static Stream<org.junit.jupiter.params.provider.Arguments> cases() {
        return backends().flatMap(b -> formats().map(f -> org.junit.jupiter.params.provider.Arguments.of(b, f)));
    }

    private static int[] ints(String name) throws Exception {
        long[] v = expected.readLongs(name);
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (int) v[i];
        return out;
    }

    static void assertClose(String what, float[] want, float[] got, double rel) {
        assertEquals(want.length, got.length, what + ": length");
        double max = 1e-12;
        for (float w : want) max = Math.max(max, Math.abs(w));
        double tol = rel * max;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs((double) got[i] - want[i]);
            if (!(err <= tol)) {
                throw new AssertionError(what + ": element " + i + " is " + got[i] + ", PyTorch " + want[i] + " (error " + err
                        + " > " + rel + " x max |value| " + max + ")");
            }
        }
    }

    /** The expected gradient of a parameter in the file's own row order (interleaved files permute wq and wk). */
    private static float[] expectedIn(String prefix, String name, LlamaConfig c) throws Exception {
        float[] g = expected.readFloats(prefix + name);
        if (c.ropeLayout() == LlamaConfig.RopeLayout.INTERLEAVED && (name.endsWith("attn.wq") || name.endsWith("attn.wk"))) {
            int heads = name.endsWith("attn.wq") ? c.heads() : c.kvHeads();
            g = RopePermutation.halfSplitToInterleaved(g, heads * c.headDim(), c.dim(), heads);
        }
        return g;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void logitsLossAndEveryGradientMatchPyTorch(String backend, String file) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = ModelFiles.load(dir.resolve(file), be);
            int[] tokens = ints("tokens"), targets = ints("targets");
            m.enableGradients();
            Tensor logits = m.forward(tokens, 2, 12);
            assertClose(file + " logits", expected.readFloats("logits"), logits.toArray(), 1e-5);
            Tensor loss = io.piece4j.tensor.ops.CrossEntropy.mean(logits, targets);
            assertClose(file + " loss", expected.readFloats("loss"), new float[] {loss.item()}, 1e-5);
            loss.backward();
            for (ParameterLayout.Entry e : m.layout().entries()) {
                float[] got = m.gradients().rowsNoGrad((int) e.offset(), (int) e.numel()).toArray();
                assertClose(file + " gradient of " + e.name(), expectedIn("grad.", e.name(), m.config()), got, 1e-4);
            }
        }
    }

    /** llm.c's check: five plain SGD steps (lr 0.1) on the batch give PyTorch's loss trajectory. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void sgdLossTrajectoryMatchesPyTorch(String backend) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = ModelFiles.load(dir.resolve("model.safetensors"), be);
            int[] tokens = ints("tokens"), targets = ints("targets");
            Tensor grads = m.enableGradients();
            float[] losses = new float[5];
            for (int step = 0; step < 5; step++) {
                grads.zero();
                Tensor loss = m.loss(tokens, targets, 2, 12);
                losses[step] = loss.item();
                loss.backward();
                be.addScaled(m.parameters(), grads, -0.1f);
            }
            assertClose("SGD losses", expected.readFloats("sgd_losses"), losses, 1e-5);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void greedyDecodingReproducesPyTorchExactly(String backend, String file) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = ModelFiles.load(dir.resolve(file), be);
            int[] want = ints("greedy_ids");
            int[] got = Generator.generate(m, ints("greedy_prompt"), 24, Sampler.greedy(), 1, 2, null);
            assertArrayEquals(want, got, file + " on " + backend + ": greedy ids");
        }
    }

    /** PIECE's G and H over two batches; embeddings are never scored (0 here by design), so they are skipped. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void importanceSumsMatchPyTorch(String backend) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = ModelFiles.load(dir.resolve("model.safetensors"), be);
            List<TokenBatch> batches = new ArrayList<>();
            for (int i = 0; i < 2; i++) batches.add(new TokenBatch(ints("imp_tokens_" + i), ints("imp_targets_" + i), 2, 10));
            ImportanceAccumulator acc = ImportanceEstimation.accumulate(m, batches);
            for (ParameterLayout.Entry e : m.layout().entries()) {
                float[] g = acc.g().rowsNoGrad((int) e.offset(), (int) e.numel()).toArray();
                float[] h = acc.h().rowsNoGrad((int) e.offset(), (int) e.numel()).toArray();
                if (e.name().equals("tok_embeddings")) {
                    for (float v : g) assertEquals(0f, v, "embeddings are never scored");
                    continue;
                }
                assertClose("G of " + e.name(), expected.readFloats("imp.G." + e.name()), g, 1e-4);
                assertClose("H of " + e.name(), expected.readFloats("imp.H." + e.name()), h, 1e-4);
                float[] s = new float[g.length];
                for (int i = 0; i < s.length; i++) s[i] = io.piece4j.piece.Estimator.PIECE_S.score(g[i], h[i]);
                assertClose("PIECE-S of " + e.name(), expected.readFloats("imp.piece_s." + e.name()), s, 1e-4);
            }
            assertTrue(acc.batches() == 2);
        }
    }

    /**
     * llama2.c .bin -> GGUF -> safetensors -> .bin (all f32): the parameters come back bit-identical (q/k rows
     * permuted to half-split and back), and every intermediate file computes the PyTorch logits.
     */
    @org.junit.jupiter.api.Test
    void conversionsBetweenFormatsPreserveTheModel() throws Exception {
        Path tmp = java.nio.file.Files.createTempDirectory("convert");
        Backend be = new io.piece4j.tensor.cpu.RefBackend();
        LlamaModel original = ModelFiles.load(dir.resolve("model.bin"), be);
        Path gguf = tmp.resolve("m.gguf"), st = tmp.resolve("st/model.safetensors"), bin = tmp.resolve("back.bin");
        ModelFiles.save(original, gguf, ModelFiles.Format.GGUF, "f32", null);
        LlamaModel fromGguf = ModelFiles.load(gguf, be);
        ModelFiles.save(fromGguf, st, ModelFiles.Format.SAFETENSORS, "f32", null);
        LlamaModel fromSt = ModelFiles.load(st, be);
        assertEquals(LlamaConfig.RopeLayout.HALF_SPLIT, fromSt.config().ropeLayout());
        ModelFiles.save(fromSt, bin, ModelFiles.Format.LLAMA2C, "f32", null);
        LlamaModel back = ModelFiles.load(bin, be);
        assertArrayEquals(original.parameters().toArray(), back.parameters().toArray(), "bin -> gguf -> safetensors -> bin must be exact");
        for (LlamaModel m : List.of(fromGguf, fromSt, back)) {
            try (var s = io.piece4j.tensor.Autograd.noGrad()) {
                assertClose(m.config().ropeLayout() + " logits after conversion", expected.readFloats("logits"),
                        m.forward(ints("tokens"), 2, 12).toArray(), 1e-5);
            }
        }
    }
}
