package io.piece4j.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskFile;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.train.TrainingCheckpoint;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The continual runner end to end on a tiny model: what each method may change, checked on the bits of the
 * flat parameter buffer between tasks, and the results.json schema.
 */
class ContinualRunTest {
    private static ContinualFixture fixture;
    private static Path out;
    private static JsonNode results;

    @BeforeAll
    static void runOnce() throws Exception {
        fixture = ContinualFixture.create();
        out = fixture.dir.resolve("out");
        try (Backend be = Backends.create("simd", 2)) {
            new ContinualRun(fixture.spec(List.of("piece-s", "piece-f", "random", "seqft"), out, false, true), be).run();
        }
        results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    }

    private static float[] modelAfter(String variant, int finished) throws Exception {
        if (finished == 0) return ModelFiles.load(fixture.model, new io.piece4j.tensor.cpu.RefBackend()).parameters().toArray();
        return TrainingCheckpoint.read(out.resolve("runs").resolve(variant).resolve("seed-1").resolve("model-after-" + finished + ".ckpt")).params();
    }

    private static ParameterLayout layout() {
        return new LlamaModel(ContinualFixture.CONFIG, new io.piece4j.tensor.cpu.RefBackend()).layout();
    }

    @Test
    void maskMethodsChangeAtMostTheirMaskAndNeverTheEmbeddings() throws Exception {
        ParameterLayout layout = layout();
        ParameterLayout.Entry emb = layout.get("tok_embeddings");
        for (String variant : new String[] {"piece-s", "piece-f", "random"}) {
            for (int t = 0; t < 3; t++) {
                float[] before = modelAfter(variant, t), after = modelAfter(variant, t + 1);
                Mask mask = MaskFile.read(out.resolve("runs").resolve(variant).resolve("seed-1").resolve("mask-" + (t + 1) + ".mask"));
                assertEquals(Mask.budget(0.01, layout.size() - emb.numel()), mask.size(), variant + " task " + t + ": k");
                int changed = 0;
                for (int i = 0; i < before.length; i++) {
                    if (Float.floatToRawIntBits(before[i]) == Float.floatToRawIntBits(after[i])) continue;
                    changed++;
                    assertTrue(mask.contains(i), variant + " task " + t + ": " + layout.locate(i) + " changed but is not in the mask");
                    assertFalse(i < emb.offset() + emb.numel(), variant + " task " + t + ": embedding " + layout.locate(i) + " changed");
                }
                assertTrue(changed <= mask.size() && changed > 0, variant + " task " + t + ": " + changed + " changed of k = " + mask.size());
                assertEquals(changed, results.at("/methods/" + variant + "/per_seed/0/changed_parameters/" + t).asLong(),
                        variant + ": the runner's own count of changed parameters");
            }
        }
    }

    @Test
    void fullFineTuningChangesEveryWeightOutsideTheEmbeddings() throws Exception {
        ParameterLayout.Entry emb = layout().get("tok_embeddings");
        float[] before = modelAfter("seqft", 0), after = modelAfter("seqft", 1);
        int embChanged = 0;
        for (int i = 0; i < before.length; i++) {
            boolean same = Float.floatToRawIntBits(before[i]) == Float.floatToRawIntBits(after[i]);
            if (i >= emb.offset() + emb.numel()) assertFalse(same, "seqft left " + layout().locate(i) + " unchanged");
            else if (!same) embChanged++;
        }
        // rows of bytes that never occur in the data get no gradient, so only some embedding rows move
        assertTrue(embChanged > 0, "seqft trains the embeddings too");
        assertEquals(1.0, results.at("/methods/seqft/trainable_fraction").asDouble(), 1e-12);
    }

    @Test
    void resultsJsonHasTheDocumentedSchema() {
        for (String m : new String[] {"piece-s", "piece-f", "random", "seqft"}) {
            JsonNode j = results.at("/methods/" + m);
            for (String f : new String[] {"seeds", "ratio", "R", "R_std", "base_scores", "OP", "BWT", "BWT_original", "FWT", "probe",
                    "answer_loss", "trainable_fraction", "seconds", "per_seed"}) {
                assertTrue(j.has(f), m + " lacks field " + f);
            }
            assertEquals(3, j.get("R").size(), m + ": R has a row per task");
            assertEquals(4, j.get("probe").size(), m + ": probe has the base and one value per task");
            assertTrue(j.get("complete").asBoolean(), m + " finished");
            assertTrue(j.get("OP").isNumber() && j.get("BWT").isNumber() && j.get("FWT").isNumber(), m + ": transfer metrics are numbers");
        }
        assertEquals("[\"upper\",\"count\",\"pick\"]", results.get("tasks").toString());
        for (String f : new String[] {"git", "jdk", "backend", "threads"}) assertTrue(results.at("/environment").has(f), "environment lacks " + f);
        assertEquals("simd", results.at("/environment/backend").asText());
        assertTrue(results.at("/config").has("settings") && results.at("/config").has("seeds"), "config is recorded");
    }

    @Test
    void transferMetricsInResultsFollowFromTheirMatrix() {
        JsonNode j = results.at("/methods/seqft");
        JsonNode r = j.get("R");
        double op = (r.get(2).get(0).asDouble() + r.get(2).get(1).asDouble() + r.get(2).get(2).asDouble()) / 3;
        double bwt = ((r.get(2).get(0).asDouble() - r.get(0).get(0).asDouble()) + (r.get(2).get(1).asDouble() - r.get(1).get(1).asDouble())) / 2;
        double fwt = ((r.get(0).get(1).asDouble() - j.get("base_scores").get(1).asDouble())
                + (r.get(1).get(2).asDouble() - j.get("base_scores").get(2).asDouble())) / 2;
        assertEquals(op, j.get("OP").asDouble(), 1e-12, "OP");
        assertEquals(bwt, j.get("BWT").asDouble(), 1e-12, "BWT");
        assertEquals(fwt, j.get("FWT").asDouble(), 1e-12, "FWT");
    }

    @Test
    void reportAndChartsAreWritten() throws Exception {
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| method |") && md.contains("piece-s") && md.contains("seqft"), "report has the summary table");
        assertTrue(md.contains("charts/r-piece-s.png"), "report links the R heat map");
        assertTrue(Files.size(out.resolve("charts").resolve("r-seqft.png")) > 1000, "R heat map written");
        assertTrue(Files.size(out.resolve("charts").resolve("mask-overlap-piece-s.png")) > 1000, "mask overlap chart written");
    }

    @Test
    void aSecondRunIntoTheSameFolderIsRefusedWithoutResume() throws Exception {
        try (Backend be = Backends.create("simd", 2)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new ContinualRun(fixture.spec(List.of("seqft"), out, false, false), be).run());
            assertTrue(e.getMessage().contains("already holds a continual run"), e.getMessage());
        }
    }
}
