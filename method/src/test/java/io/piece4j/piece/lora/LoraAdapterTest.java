package io.piece4j.piece.lora;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The LoRA adapter's defining properties on a tiny model: a new adapter changes nothing, merging equals the adapter path. */
class LoraAdapterTest {
    // dim 16, 2 layers, 2 heads, 1 KV head, head dim 8, hidden 24, vocab 40, context 16, untied head
    private static final LlamaConfig CONFIG = new LlamaConfig(16, 2, 2, 1, 8, 24, 40, 16, 1e-5f, 10000f, false,
            LlamaConfig.RopeLayout.INTERLEAVED, null);
    private static final LoraSettings EVERY_WEIGHT = new LoraSettings(4, 8, LoraSettings.LINEAR_MODULES);
    private static final int BATCH = 2, SEQ = 7;

    private static LlamaModel model(Backend be) {
        LlamaModel m = new LlamaModel(CONFIG, be);
        m.initRandom(1, 0.1f);
        return m;
    }

    private static int[] tokens(long seed) {
        Rng rng = new Rng(seed);
        int[] t = new int[BATCH * SEQ];
        for (int i = 0; i < t.length; i++) t[i] = rng.nextInt(CONFIG.vocabSize());
        return t;
    }

    private static float[] logits(LlamaModel m, int[] tokens) {
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            return m.forward(tokens, BATCH, SEQ).toArray();
        }
    }

    /** Gives every B (which starts at zero) values drawn from seed, so the adapter path does something. */
    private static void randomiseB(LoraAdapter a, long seed, float std) {
        Rng rng = new Rng(seed);
        for (LoraAdapter.Pair p : a.pairs()) {
            float[] b = new float[p.b().size()];
            for (int i = 0; i < b.length; i++) b[i] = (float) (rng.nextGaussian() * std);
            p.b().copyFrom(b);
        }
    }

    @Test
    void aNewAdapterHasZeroBAndLeavesTheLogitsBitIdentical() {
        for (LoraSettings s : List.of(LoraSettings.paper(), EVERY_WEIGHT)) {
            LlamaModel m = model(new RefBackend());
            int[] tok = tokens(3);
            float[] plain = logits(m, tok);
            LoraAdapter a = LoraAdapter.create(m, s, 5);
            for (LoraAdapter.Pair p : a.pairs()) {
                for (float v : p.b().toArray()) assertEquals(0f, v, "B starts at zero: " + p.weight());
                float bound = (float) (1 / Math.sqrt(p.in()));
                double sumAbs = 0;
                for (float v : p.a().toArray()) {
                    assertTrue(Math.abs(v) <= bound, "A within +-1/sqrt(in): " + v);
                    sumAbs += Math.abs(v);
                }
                assertTrue(sumAbs > 0.25 * bound * p.a().size(), "A is drawn, not zero: " + p.weight());
            }
            a.attach(m);
            float[] adapted = logits(m, tok);
            for (int i = 0; i < plain.length; i++) {
                if (Float.floatToRawIntBits(plain[i]) != Float.floatToRawIntBits(adapted[i])) {
                    fail(s.describe() + ": logit " + i + " is " + adapted[i] + " with the new adapter, " + plain[i] + " without");
                }
            }
        }
    }

    @Test
    void mergedWeightsGiveTheLogitsOfTheAdapterPath() {
        // on float32 storage the two paths round differently: the merged W + s B A is rounded once per weight,
        // the adapter path rounds x A^T; logits here are of size ~1: measured 1.8e-7 (1.5 ulps), allowed 2e-6
        double tolerance = 2e-6;
        for (LoraSettings s : List.of(LoraSettings.paper(), EVERY_WEIGHT)) {
            LlamaModel m = model(new RefBackend());
            int[] tok = tokens(4);
            float[] plain = logits(m, tok);
            LoraAdapter a = LoraAdapter.create(m, s, 6);
            randomiseB(a, 7, 0.05f);
            a.attach(m);
            float[] adapterPath = logits(m, tok);
            LoraAdapter.detach(m);
            a.mergeInto(m);
            float[] merged = logits(m, tok);
            double worst = 0, moved = 0;
            for (int i = 0; i < merged.length; i++) {
                worst = Math.max(worst, Math.abs(merged[i] - adapterPath[i]));
                moved = Math.max(moved, Math.abs(adapterPath[i] - plain[i]));
            }
            assertTrue(worst <= tolerance, s.describe() + ": merged logits differ from the adapter path's by " + worst);
            assertTrue(moved > 1000 * tolerance, s.describe() + ": the adapter must change the logits for the test to mean anything, moved " + moved);
        }
    }

    @Test
    void adapterGradientsEqualCentralFiniteDifferences() {
        Backend be = RefBackend.float64();
        LlamaModel m = model(be);
        LoraAdapter a = LoraAdapter.create(m, EVERY_WEIGHT, 8);
        randomiseB(a, 9, 0.2f);
        a.attach(m);
        int[] tok = tokens(10), targets = tokens(11);
        m.loss(tok, targets, BATCH, SEQ).backward();
        double[] grad = a.gradients().toDoubleArray();
        double[] p = a.parameters().toDoubleArray();
        Rng pick = new Rng(12);
        double h = 1e-6;
        for (int n = 0; n < 40; n++) {
            int i = pick.nextInt(p.length);
            double keep = p[i];
            p[i] = keep + h;
            a.parameters().copyFromDouble(p);
            double up = lossValue(m, tok, targets);
            p[i] = keep - h;
            a.parameters().copyFromDouble(p);
            double down = lossValue(m, tok, targets);
            p[i] = keep;
            a.parameters().copyFromDouble(p);
            double fd = (up - down) / (2 * h);
            assertEquals(fd, grad[i], 1e-7 + 1e-6 * Math.abs(fd), "d loss / d adapter[" + i + "]");
        }
    }

    private static double lossValue(LlamaModel m, int[] tok, int[] targets) {
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            return m.loss(tok, targets, BATCH, SEQ).toDoubleArray()[0];
        }
    }

    @Test
    void onlyTheAdapterCollectsAGradientWhileAttached() {
        LlamaModel m = model(new RefBackend());
        Tensor modelGrads = m.enableGradients(); // as if an earlier method had trained the weights
        LoraAdapter a = LoraAdapter.create(m, LoraSettings.paper(), 13);
        randomiseB(a, 14, 0.05f);
        a.attach(m);
        m.loss(tokens(15), tokens(16), BATCH, SEQ).backward();
        for (float g : modelGrads.toArray()) assertEquals(0f, g, "a frozen weight got a gradient");
        double sum = 0;
        for (float g : a.gradients().toArray()) sum += Math.abs(g);
        assertTrue(sum > 0, "the adapter gets a gradient");
        LoraAdapter.detach(m);
        assertEquals(null, m.linearHook(), "detached");
        for (Tensor w : m.namedWeights()) assertTrue(w.requiresGrad(), w.name() + " collects its gradient again after detach");
    }

    @Test
    void aWrittenAdapterReadsBackBitForBitAndOtherSettingsAreRefused() throws IOException {
        LlamaModel m = model(new RefBackend());
        LoraAdapter a = LoraAdapter.create(m, LoraSettings.paper(), 17);
        randomiseB(a, 18, 0.05f);
        Path file = Files.createTempDirectory("lora").resolve("adapter.safetensors");
        a.write(file);
        LoraAdapter back = LoraAdapter.read(file, m, LoraSettings.paper());
        float[] x = a.parameters().toArray(), y = back.parameters().toArray();
        for (int i = 0; i < x.length; i++) assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), "element " + i);
        assertEquals(CONFIG.layers() * (8L * (16 + 16) + 8L * (16 + 8)), a.size(), "r (in + out) per adapted weight: wq 16x16, wv 8x16");
        IOException e = assertThrows(IOException.class, () -> LoraAdapter.read(file, m, new LoraSettings(4, 32, List.of("attn.wq", "attn.wv"))));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("metadata") && e.getMessage().contains("rank 4"), e.getMessage());
    }
}
