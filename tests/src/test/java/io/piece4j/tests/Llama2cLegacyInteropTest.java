package io.piece4j.tests;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.KvCache;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `piece convert ... X.bin` writes what llama2.c's run reads: the output goes through an independent reader of
 * the legacy layout with run.c's forward pass ({@code resources/interop/llama2c_legacy_greedy.c}, built with the
 * system C compiler), whose greedy ids and logits must be piece4j's on the source model.
 */
class Llama2cLegacyInteropTest {
    @TempDir Path dir;

    private static final int[] PROMPT = {1, 40, 7, 63};
    private static final int STEPS = 20;

    /** piece4j's greedy continuation (without stopping at BOS or EOS) and the logits after the prompt. */
    private static Object[] pieceGreedy(LlamaModel model) {
        KvCache cache = new KvCache(model);
        float[] logits = cache.forward(PROMPT);
        float[] promptLogits = logits.clone();
        int[] ids = new int[STEPS];
        for (int i = 0; i < STEPS; i++) {
            ids[i] = Sampler.argmax(logits);
            if (i + 1 < STEPS) logits = cache.forward(ids[i]);
        }
        return new Object[] {ids, promptLogits};
    }

    private Path compileReader() throws Exception {
        String cc = ExternalTools.require("the llama2.c legacy reader", "cc", "gcc");
        Path exe = dir.resolve("llama2c_legacy_greedy");
        var r = ExternalTools.run(120, List.of(cc, "-O1", "-std=c99", "-o", exe.toString(),
                ExternalTools.resource("/interop/llama2c_legacy_greedy.c").toString(), "-lm"));
        assertEquals(0, r.exitCode(), "compiling the reader: " + r.err());
        return exe;
    }

    @Test
    void convertedBinIsReadByAnIndependentLegacyReaderWithTheSameGreedyIdsAndLogits() throws Exception {
        Path reader = compileReader();
        for (boolean tied : new boolean[] {false, true}) {
            // Hugging Face layout in, so the conversion also permutes q/k rows to llama2.c's interleaved RoPE
            LlamaConfig config = new LlamaConfig(48, 2, 6, 2, 8, 96, 97, 32, 1e-5f, 10000f, tied, LlamaConfig.RopeLayout.HALF_SPLIT, null);
            LlamaModel source = new LlamaModel(config, new RefBackend());
            source.initRandom(tied ? 11 : 12, 0.3f);
            Path st = dir.resolve((tied ? "tied" : "untied") + "/model.safetensors");
            ModelFiles.save(source, st, ModelFiles.Format.SAFETENSORS, "f32", null);
            Path bin = dir.resolve((tied ? "tied" : "untied") + ".bin");
            PieceRun.of("convert", st.toString(), bin.toString()).ok();

            Object[] want = pieceGreedy(source);
            List<String> command = new ArrayList<>(List.of(reader.toString(), bin.toString(), Integer.toString(STEPS)));
            for (int id : PROMPT) command.add(Integer.toString(id));
            var r = ExternalTools.run(60, command);
            assertEquals(0, r.exitCode(), (tied ? "tied" : "untied") + ": the legacy reader refused the file: " + r.err());
            String[] lines = r.out().split("\n");
            int[] got = Arrays.stream(lines[0].trim().split(" ")).mapToInt(Integer::parseInt).toArray();
            assertEquals(Arrays.toString((int[]) want[0]), Arrays.toString(got), (tied ? "tied" : "untied") + ": greedy ids of the legacy reader");
            float[] expectedLogits = (float[]) want[1];
            String[] logits = lines[1].trim().split(" ");
            assertEquals(expectedLogits.length, logits.length, "one logit per token");
            for (int i = 0; i < logits.length; i++) {
                float v = Float.parseFloat(logits[i]);
                // float32 sums in another order: allow 1e-4 of the logit's size
                assertEquals(expectedLogits[i], v, 1e-4 * Math.max(1, Math.abs(expectedLogits[i])), (tied ? "tied" : "untied") + ": logit " + i);
            }
            assertTrue(Arrays.stream((int[]) want[0]).distinct().count() > 3, "a varied continuation: " + Arrays.toString((int[]) want[0]));
        }
    }

    @Test
    void aVersion1FileIsNotLegacyAndTheLegacyReaderRefusesIt() throws Exception {
        // what `convert --to bin` used to write: run.c reads its magic as dim and fails
        Path reader = compileReader();
        LlamaConfig config = new LlamaConfig(32, 1, 4, 2, 8, 64, 67, 16, 1e-5f, 10000f, true, LlamaConfig.RopeLayout.INTERLEAVED, null);
        LlamaModel source = new LlamaModel(config, new RefBackend());
        source.initRandom(5, 0.3f);
        Path st = dir.resolve("m/model.safetensors");
        ModelFiles.save(source, st, ModelFiles.Format.SAFETENSORS, "f32", null);
        Path v1 = dir.resolve("v1.bin");
        PieceRun.of("convert", st.toString(), v1.toString(), "--bin-version", "1").ok();
        var r = ExternalTools.run(60, List.of(reader.toString(), v1.toString(), "2", "1"));
        assertEquals(2, r.exitCode(), "the legacy reader must not accept a version 1 file: " + r.out());
        Path legacy = dir.resolve("legacy.bin");
        PieceRun.of("convert", st.toString(), legacy.toString(), "--bin-version", "0").ok();
        assertEquals(0, ExternalTools.run(60, List.of(reader.toString(), legacy.toString(), "2", "1")).exitCode(), "the same model as legacy");
    }
}
