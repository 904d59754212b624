package io.piece4j.tests;

import io.piece4j.nn.generate.Generator;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.DecodingPrecision;
import io.piece4j.nn.model.DecodingWeights;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.model.PackedDecoder;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `piece generate --weights f32|bf16|q8 --kv-cache f32|bf16`: what runs, and one clear line for a value it does not take. */
class GenerateWeightsOptionTest {
    private static Path model;
    private static LlamaModel loaded;

    @BeforeAll
    static void modelFile() throws Exception {
        Path dir = Files.createTempDirectory("generate-weights");
        loaded = PackedDecodingTest.model(new RefBackend(), false);
        model = dir.resolve("model.safetensors");
        ModelFiles.save(loaded, model, ModelFiles.Format.SAFETENSORS, "f32", null);
    }

    private static int[] ids(PieceRun r) {
        return Arrays.stream(r.ok().out().trim().split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    private static PieceRun generate(String weights, String kvCache) {
        return PieceRun.of("generate", "--model", model.toString(), "--prompt-ids", "1,7,13", "--max-tokens", "20", "--ids",
                "--backend", "ref", "--weights", weights, "--kv-cache", kvCache);
    }

    @Test
    void q8AndBf16WeightsGenerateWhatThePackedDecoderGivesOnTheSameWeights() {
        for (DecodingPrecision p : new DecodingPrecision[] {DecodingPrecision.BF16, DecodingPrecision.Q8}) {
            int[] expected = Generator.generate(new PackedDecoder(DecodingWeights.of(loaded, p), loaded.backend(), DecodingPrecision.F32),
                    new int[] {1, 7, 13}, 20, Sampler.greedy(), 1, 2, null);
            assertArrayEquals(expected, ids(generate(p.label(), "f32")), "--weights " + p.label());
        }
        int[] bf16Cache = ids(generate("q8", "bf16"));
        assertEquals(1, bf16Cache[0]);
        assertTrue(bf16Cache.length > 3, "--kv-cache bf16 generated nothing: " + Arrays.toString(bf16Cache));
    }

    @Test
    void q8OnAModelWhoseRowsAreNotWholeBlocksFailsWithOneLineNamingTheFileAndTheSize() throws Exception {
        Path file = Files.createTempDirectory("generate-q8-77").resolve("hidden77.safetensors");
        ModelFiles.save(TinyModels.model(new RefBackend(), 3), file, ModelFiles.Format.SAFETENSORS, "f32", null); // hidden_dim 77
        PieceRun r = PieceRun.of("generate", "--model", file.toString(), "--prompt-ids", "1,7", "--ids", "--backend", "ref", "--weights", "q8");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("piece generate: " + file + ": hidden_dim = 77: --weights q8 expected a multiple of 32 (Q8_0 blocks along every"
                + " matrix row); bf16 and f32 take any size", r.err().strip());
        assertEquals(3, ids(PieceRun.of("generate", "--model", file.toString(), "--prompt-ids", "1,7", "--max-tokens", "3", "--ids",
                "--backend", "ref", "--weights", "bf16")).length, "bf16 takes the same model");
    }

    @Test
    void anUnknownWeightsValueFailsWithOneLineSayingWhatIsTaken() {
        PieceRun r = generate("int4", "f32");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals("piece generate: --weights int4: expected f32, bf16, q8", r.err().strip());
        assertFalse(r.out().contains("1 7 13"), "nothing generated: " + r.out());
        PieceRun kv = generate("bf16", "q8");
        assertEquals(2, kv.exitCode(), kv.err());
        assertEquals("piece generate: --kv-cache q8: expected f32, bf16", kv.err().strip());
    }
}
