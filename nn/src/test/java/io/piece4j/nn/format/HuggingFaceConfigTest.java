package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;
import io.piece4j.nn.LlamaConfig.RopeScaling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HuggingFaceConfigTest {
    @TempDir Path dir;

    private Path json(String text) throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, text);
        return p;
    }

    @Test
    void readsEveryLlamaField() throws IOException {
        LlamaConfig c = LlamaConfig.fromHuggingFaceConfigJson(json("""
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048,
                 "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
                 "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 128256, "max_position_embeddings": 131072,
                 "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
                 "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"}}
                """));
        assertEquals(new LlamaConfig(2048, 16, 32, 8, 64, 8192, 128256, 131072, 1e-5f, 500000f, true,
                RopeLayout.HALF_SPLIT, new RopeScaling(32, 1, 4, 8192)), c);
    }

    @Test
    void absentOptionalFieldsTakeTransformersDefaults() throws IOException {
        LlamaConfig c = HuggingFaceConfig.read(json("""
                {"hidden_size": 64, "intermediate_size": 100, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "vocab_size": 50, "max_position_embeddings": 128, "head_dim": null, "rope_scaling": null}
                """));
        assertEquals(4, c.kvHeads(), "num_key_value_heads defaults to num_attention_heads");
        assertEquals(16, c.headDim(), "head_dim defaults to hidden_size / heads");
        assertEquals(10000f, c.ropeTheta());
        assertEquals(1e-6f, c.normEps(), "transformers' rms_norm_eps default");
        assertEquals(false, c.tiedEmbeddings());
        assertNull(c.ropeScaling());
    }

    @Test
    void ropeParametersOfNewerTransformersAreRead() throws IOException {
        LlamaConfig c = HuggingFaceConfig.read(json("""
                {"hidden_size": 64, "intermediate_size": 100, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "vocab_size": 50, "max_position_embeddings": 128,
                 "rope_parameters": {"rope_theta": 500000.0, "rope_type": "llama3", "factor": 8.0,
                   "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}}
                """));
        assertEquals(500000f, c.ropeTheta());
        assertEquals(new RopeScaling(8, 1, 4, 8192), c.ropeScaling());
    }

    @Test
    void writtenConfigReadsBackEqual() throws IOException {
        LlamaConfig c = new LlamaConfig(48, 3, 6, 2, 10, 130, 77, 64, 1e-5f, 500000f, false, RopeLayout.HALF_SPLIT,
                new RopeScaling(8, 1, 4, 8192));
        Path p = dir.resolve("config.json");
        HuggingFaceConfig.write(p, c, "float32");
        assertEquals(c, HuggingFaceConfig.read(p));
        assertTrue(Files.readString(p).contains("\"torch_dtype\" : \"float32\""), Files.readString(p));
    }

    @Test
    void unsupportedRopeScalingTypeIsNamed() throws IOException {
        Path p = json("""
                {"hidden_size": 64, "intermediate_size": 100, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "vocab_size": 50, "max_position_embeddings": 128, "rope_scaling": {"type": "linear", "factor": 2.0}}
                """);
        var e = assertThrows(CheckpointFormatException.class, () -> HuggingFaceConfig.read(p));
        assertEquals("config.json: rope_scaling.type = \"linear\": expected \"llama3\" or \"default\" (other RoPE scalings are not supported)",
                e.getMessage());
    }

    @Test
    void otherModelTypesAreRefused() throws IOException {
        Path p = json("""
                {"model_type": "gemma", "hidden_size": 64, "intermediate_size": 100, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "vocab_size": 50, "max_position_embeddings": 128}
                """);
        var e = assertThrows(CheckpointFormatException.class, () -> HuggingFaceConfig.read(p));
        assertEquals("config.json: model_type = \"gemma\": expected \"llama\"", e.getMessage());
    }

    @Test
    void missingRequiredFieldIsNamed() throws IOException {
        Path p = json("{\"hidden_size\": 64}");
        var e = assertThrows(CheckpointFormatException.class, () -> HuggingFaceConfig.read(p));
        assertEquals("config.json: num_hidden_layers is missing: expected a positive integer", e.getMessage());
    }

    @Test
    void negativeAndFractionalSizesAreRejected() throws IOException {
        Path p = json("""
                {"hidden_size": -64, "intermediate_size": 100, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "vocab_size": 50, "max_position_embeddings": 128}
                """);
        var e = assertThrows(CheckpointFormatException.class, () -> HuggingFaceConfig.read(p));
        assertTrue(e.getMessage().startsWith("config.json: hidden_size = -64: expected an integer"), e.getMessage());
        Path q = json("""
                {"hidden_size": 64, "intermediate_size": 100.5, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "vocab_size": 50, "max_position_embeddings": 128}
                """);
        e = assertThrows(CheckpointFormatException.class, () -> HuggingFaceConfig.read(q));
        assertTrue(e.getMessage().startsWith("config.json: intermediate_size = 100.5"), e.getMessage());
    }

    @Test
    void inconsistentHeadsAreReportedAsAnImpossibleModel() throws IOException {
        Path p = json("""
                {"hidden_size": 64, "intermediate_size": 100, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 3, "vocab_size": 50, "max_position_embeddings": 128}
                """);
        var e = assertThrows(CheckpointFormatException.class, () -> HuggingFaceConfig.read(p));
        assertEquals("config.json: describes an impossible model: kvHeads = 3: expected a divisor of heads = 4", e.getMessage());
    }

    @Test
    void invalidUtf8IsAFormatError() throws IOException {
        Path p = dir.resolve("config.json");
        byte[] text = "{\"hidden_size\": 64, \"x\": \"\u00e9\"}".getBytes(StandardCharsets.UTF_8);
        text[text.length - 4] = (byte) 0xC3; // lead byte followed by '"' instead of a continuation byte
        text[text.length - 3] = '"';
        text[text.length - 2] = ' ';
        Files.write(p, text);
        var e = assertThrows(CheckpointFormatException.class, () -> HuggingFaceConfig.read(p));
        assertTrue(e.getMessage().startsWith("config.json: invalid UTF-8"), e.getMessage());
    }

    @Test
    void malformedJsonIsAFormatError() throws IOException {
        Path p = json("{\"hidden_size\": 64,");
        var e = assertThrows(CheckpointFormatException.class, () -> HuggingFaceConfig.read(p));
        assertTrue(e.getMessage().startsWith("config.json: malformed JSON"), e.getMessage());
    }
}
