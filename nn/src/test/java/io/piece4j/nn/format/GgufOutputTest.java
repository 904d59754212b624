package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static io.piece4j.nn.format.FloatAssertions.assertBitsEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** GGUF output in BF16 and Q8_0, and key-value pairs carried from another file. */
class GgufOutputTest {
    @TempDir Path dir;

    /** dim 32, hidden 48: every matrix but w_down (rows of 48) has rows a multiple of Q8_0's block of 32. */
    private static final LlamaConfig CONFIG = new LlamaConfig(32, 1, 4, 2, 8, 48, 11, 8, 1e-5f, 10000f, false, RopeLayout.INTERLEAVED, null);

    @Test
    void q8_0BlockIsScaledByMaxOver127AndRoundedHalfAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f;   // d = 127 / 127 = 1, so q = round(x)
        x[1] = 2.5f;   // a tie: 3, away from zero (round-half-even would give 2)
        x[2] = -2.5f;  // -3
        x[3] = 0.5f;   // 1
        x[4] = -126.4f; // -126
        byte[] block = ElementCodec.encodeQ8_0(x);
        assertEquals(34, block.length);
        assertEquals(0x3C00, (block[0] & 0xFF) | (block[1] & 0xFF) << 8, "d = 1.0 as binary16");
        assertArrayEquals(new byte[] {127, 3, -3, 1, -126, 0}, java.util.Arrays.copyOfRange(block, 2, 8));

        float[] zeros = new float[32];
        assertArrayEquals(new byte[34], ElementCodec.encodeQ8_0(zeros), "an all-zero block: d = 0 and q = 0");
    }

    @Test
    void q8_0OutputQuantizesMatricesKeepsNormsInF32AndFallsBackToF16ForShortRows() throws IOException {
        List<NamedTensor> weights = TinyModels.weights(CONFIG, 5);
        Path p = dir.resolve("q8.gguf");
        GgufWriter.write(p, CONFIG, weights, ElementType.Q8_0, null);
        try (Checkpoint c = Checkpoint.open(p)) {
            assertEquals(7L, c.metadata().get("general.file_type"), "llama.cpp's MOSTLY_Q8_0");
            for (NamedTensor w : weights) {
                CheckpointTensor t = c.tensor(w.name());
                float[] expected = w.data().clone();
                if (w.shape().length == 1) {
                    assertEquals(ElementType.F32, t.sourceType(), w.name());
                } else if (w.shape()[1] % 32 != 0) {
                    assertEquals(ElementType.F16, t.sourceType(), w.name() + " has rows of " + w.shape()[1]);
                    for (int i = 0; i < expected.length; i++) expected[i] = Float.float16ToFloat(Float.floatToFloat16(expected[i]));
                } else {
                    assertEquals(ElementType.Q8_0, t.sourceType(), w.name());
                    for (int b = 0; b < expected.length / 32; b++) { // x = fp16(d) * q with d and q as ggml computes them
                        float max = 0;
                        for (int j = 0; j < 32; j++) max = Math.max(max, Math.abs(expected[b * 32 + j]));
                        float d = max / 127f, inverse = 1f / d, storedD = Float.float16ToFloat(Float.floatToFloat16(d));
                        for (int j = 0; j < 32; j++) {
                            float v = expected[b * 32 + j] * inverse;
                            expected[b * 32 + j] = storedD * (float) (int) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
                        }
                    }
                }
                assertBitsEqual(expected, t.toFloatArray(), w.name());
            }
        }
    }

    @Test
    void bf16OutputRoundsMatricesToNearestEvenAndKeepsNormsInF32() throws IOException {
        List<NamedTensor> weights = TinyModels.weights(CONFIG, 6);
        Path p = dir.resolve("bf16.gguf");
        GgufWriter.write(p, CONFIG, weights, ElementType.BF16, null);
        try (Checkpoint c = Checkpoint.open(p)) {
            assertEquals(32L, c.metadata().get("general.file_type"), "llama.cpp's MOSTLY_BF16");
            for (NamedTensor w : weights) {
                CheckpointTensor t = c.tensor(w.name());
                float[] expected = w.data().clone();
                if (w.shape().length == 2) {
                    assertEquals(ElementType.BF16, t.sourceType(), w.name());
                    for (int i = 0; i < expected.length; i++) { // the top 16 bits, rounded to nearest even
                        int bits = Float.floatToRawIntBits(expected[i]);
                        expected[i] = Float.intBitsToFloat(((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16) << 16);
                    }
                } else {
                    assertEquals(ElementType.F32, t.sourceType(), w.name());
                }
                assertBitsEqual(expected, t.toFloatArray(), w.name());
            }
        }
    }

    @Test
    void carriedKeysKeepTheirTypeAndValueButNeverReplaceTheWritersOwn() throws IOException {
        Path first = dir.resolve("first.gguf");
        List<GgufKeyValue> extra = List.of(
                GgufKeyValue.string("general.name", "tiny llama"),
                GgufKeyValue.string("tokenizer.chat_template", "{{ messages }}"),
                GgufKeyValue.bool("tokenizer.ggml.add_bos_token", true),
                GgufKeyValue.u32("tokenizer.ggml.padding_token_id", 3),
                GgufKeyValue.u32("llama.block_count", 99),        // the writer's own: ignored
                GgufKeyValue.string("general.architecture", "gpt2")); // likewise
        GgufWriter.write(first, CONFIG, TinyModels.weights(CONFIG, 7), ElementType.F32, null, extra);
        List<GgufKeyValue> read;
        try (Checkpoint c = Checkpoint.open(first)) {
            assertEquals("tiny llama", c.metadata().get("general.name"));
            assertEquals(true, c.metadata().get("tokenizer.ggml.add_bos_token"));
            assertEquals(3L, c.metadata().get("tokenizer.ggml.padding_token_id"));
            assertEquals(1L, c.metadata().get("llama.block_count"), "the config's layer count, not the carried one");
            assertEquals("llama", c.metadata().get("general.architecture"));
            read = c.ggufKeys();
            for (GgufKeyValue kv : extra.subList(0, 4)) assertEquals(kv, find(read, kv.key()), kv.key() + " is stored exactly");
        }
        // a second conversion keeps them again, with the same encoded value and type
        Path second = dir.resolve("second.gguf");
        GgufWriter.write(second, CONFIG, TinyModels.weights(CONFIG, 7), ElementType.F16, null, read);
        try (Checkpoint c = Checkpoint.open(second)) {
            for (GgufKeyValue kv : extra.subList(0, 4)) assertEquals(kv, find(c.ggufKeys(), kv.key()), kv.key() + " after a second conversion");
            assertEquals(1L, c.metadata().get("general.file_type"), "the new file's own type");
            assertFalse(c.ggufKeys().stream().map(GgufKeyValue::key).distinct().count() < c.ggufKeys().size(), "no key twice");
        }
    }

    private static GgufKeyValue find(List<GgufKeyValue> keys, String key) {
        return keys.stream().filter(kv -> kv.key().equals(key)).findFirst().orElseThrow(() -> new AssertionError(key + " is missing"));
    }
}
