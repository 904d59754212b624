package io.piece4j.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.piece4j.nn.format.SafetensorsFile;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.train.TrainingCheckpoint;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SeqLoRA, O-LoRA, LayerNorm-only and MIGU through the continual runner on the tiny fixture suite: what
 * each may change, checked on the bits of the flat parameter buffer after every task, and what the report
 * says about them.
 */
class ContinualLoraNormMiguTest {
    static final List<String> METHODS = List.of("seqlora", "olora", "layernorm", "migu");
    private static ContinualFixture fixture;
    private static Path out;
    private static JsonNode results;

    static ContinualRun.Spec spec(ContinualFixture f, List<String> methods, Path out, boolean resume) {
        return new ContinualRun.Spec(f.model, new ByteTokenizer(), f.readSuite(), methods, List.of(1L), List.of(0.01), List.of(),
                ContinualFixture.settings(), Map.of("migu.ratio", "0.25"), List.of(), out, resume, true);
    }

    @BeforeAll
    static void runOnce() throws Exception {
        fixture = ContinualFixture.create();
        out = fixture.dir.resolve("out");
        try (Backend be = Backends.create("simd", 2)) {
            new ContinualRun(spec(fixture, METHODS, out, false), be).run();
        }
        results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    }

    private static float[] modelAfter(String variant, int finished) throws Exception {
        if (finished == 0) return ModelFiles.load(fixture.model, new RefBackend()).parameters().toArray();
        return TrainingCheckpoint.read(out.resolve("runs").resolve(variant).resolve("seed-1").resolve("model-after-" + finished + ".ckpt")).params();
    }

    private static final ParameterLayout LAYOUT = new LlamaModel(ContinualFixture.CONFIG, new RefBackend()).layout();

    private interface Allowed { boolean test(ParameterLayout.Entry e); }

    /** Every task of variant changes only parameters of entries allowed, and some of them; returns the changed count per task. */
    private static long[] assertChangesOnly(String variant, Allowed allowed, String what) throws Exception {
        long[] counts = new long[3];
        for (int t = 0; t < 3; t++) {
            float[] before = modelAfter(variant, t), after = modelAfter(variant, t + 1);
            for (int i = 0; i < before.length; i++) {
                if (Float.floatToRawIntBits(before[i]) == Float.floatToRawIntBits(after[i])) continue;
                counts[t]++;
                ParameterLayout.Entry e = LAYOUT.locate(i).entry();
                assertTrue(allowed.test(e), variant + " task " + (t + 1) + ": " + LAYOUT.locate(i) + " changed, but " + variant + " changes only " + what);
            }
            assertTrue(counts[t] > 0, variant + " task " + (t + 1) + " changed nothing");
            assertEquals(counts[t], results.at("/methods/" + variant + "/per_seed/0/changed_parameters/" + t).asLong(),
                    variant + ": the runner's own count of changed parameters");
        }
        return counts;
    }

    @Test
    void layerNormOnlyChangesNothingButNormGains() throws Exception {
        long norms = 0;
        for (ParameterLayout.Entry e : LAYOUT.entries()) if (e.shape().length == 1) norms += e.numel();
        long[] changed = assertChangesOnly("layernorm", e -> e.shape().length == 1, "RMSNorm gains");
        for (int t = 0; t < 3; t++) assertEquals(norms, changed[t], "every norm gain moves on task " + (t + 1));
        assertEquals((double) norms / LAYOUT.size(), results.at("/methods/layernorm/trainable_fraction").asDouble(), 1e-12);
    }

    @Test
    void loraMethodsChangeOnlyTheAdaptedWeightsAndCountTheirAdapters() throws Exception {
        for (String v : List.of("seqlora", "olora")) assertChangesOnly(v, e -> e.module().equals("attn.wq") || e.module().equals("attn.wv"), "wq and wv");
        // rank 8 on wq (32 x 32) and wv (16 x 32) in 2 layers: 8 * (32 + 32) + 8 * (32 + 16) per layer
        long adapter = 2 * (8 * (32 + 32) + 8 * (32 + 16));
        assertEquals(adapter, results.at("/methods/seqlora/added_parameters").asLong(), "SeqLoRA: one adapter");
        assertEquals(3 * adapter, results.at("/methods/olora/added_parameters").asLong(), "O-LoRA: one adapter per task");
        assertEquals(0, results.at("/methods/layernorm/added_parameters").asLong());
    }

    @Test
    void seqLoraEvaluatesTheBaseWeightsPlusItsOneAdapterMerged() throws Exception {
        float[] base = modelAfter("seqlora", 0), last = modelAfter("seqlora", 3);
        Path state = out.resolve("runs/seqlora/seed-1/method-after-3/seqlora.safetensors");
        double worst = 0;
        try (SafetensorsFile f = SafetensorsFile.open(state)) {
            for (String w : List.of("layers.0.attn.wq", "layers.1.attn.wv")) {
                ParameterLayout.Entry e = LAYOUT.get(w);
                float[] a = f.readFloats(w + ".lora_A"), b = f.readFloats(w + ".lora_B"); // (8, in), (out, 8)
                int in = e.cols(), outDim = e.rows();
                for (int o = 0; o < outDim; o++) {
                    for (int c = 0; c < in; c++) {
                        double delta = 0;
                        for (int k = 0; k < 8; k++) delta += (double) b[o * 8 + k] * a[k * in + c];
                        int i = (int) e.offset() + o * in + c;
                        worst = Math.max(worst, Math.abs(last[i] - (base[i] + 4 * delta))); // alpha / r = 32 / 8
                    }
                }
            }
        }
        assertTrue(worst < 1e-6, "after the last task wq and wv = base + 4 B A of the one adapter, off by " + worst);
    }

    @Test
    void miguNeverChangesEmbeddingsOrNormGains() throws Exception {
        assertChangesOnly("migu", e -> e.shape().length == 2 && !e.name().equals("tok_embeddings"), "linear weights");
    }

    @Test
    void everyMethodFinishesAndTheReportDescribesIt() throws Exception {
        for (String m : METHODS) {
            assertTrue(results.at("/methods/" + m + "/complete").asBoolean(), m + " finished");
            assertEquals(3, results.at("/methods/" + m + "/R").size(), m + ": R has a row per task");
            assertTrue(!results.at("/methods/" + m + "/sees_old_data").asBoolean(), m + " sees no old data");
        }
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| seqlora | one LoRA adapter (rank 8, alpha 32 on wq, wv)"), "report row of seqlora");
        assertTrue(md.contains("| olora |") && md.contains("| migu |") && md.contains("| layernorm |"), "report rows");
    }
}
