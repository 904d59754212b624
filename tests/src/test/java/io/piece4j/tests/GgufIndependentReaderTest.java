package io.piece4j.tests;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.format.TensorNames;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * GGUF files piece writes in F16, BF16 and Q8_0 are read by an independent reader written from the GGUF
 * specification in Python ({@code resources/interop/gguf_check.py}, standard library only): it re-encodes the
 * F32 conversion of the same model the way ggml's reference code does and compares every stored byte (the
 * weights include values where the rounding rules decide), and its decoded values must equal piece's own
 * reader's bit for bit.
 */
class GgufIndependentReaderTest {
    @TempDir Path dir;

    /**
     * The weights with, in every block of 32, values on which each type's rounding rule decides: x = 127/64 makes
     * the block's Q8_0 scale exactly 1/64, so 2.5/64 and -2.5/64 are halfway between two steps (ggml rounds
     * away from zero); 1 + 2^-11 and 1 + 2^-8 + 2^-16 (over 64) are halfway for F16 and BF16 (both round to
     * nearest even).
     */
    private static float[] withRoundingTies(float[] w) {
        for (int b = 0; b + 32 <= w.length; b += 32) {
            w[b] = 127f / 64;
            w[b + 1] = 2.5f / 64;
            w[b + 2] = -2.5f / 64;
            w[b + 3] = (1f + 0x1p-11f) / 64;
            w[b + 4] = Float.intBitsToFloat(0x3F808000) / 64;
        }
        return w;
    }

    @Test
    void f16Bf16AndQ8_0FilesHoldExactlyGgmlsEncodingAndDecodeAlikeInBothReaders() throws Exception {
        String python = ExternalTools.require("the independent GGUF reader", "python3");
        LlamaConfig config = new LlamaConfig(64, 2, 4, 2, 16, 96, 700, 64, 1e-5f, 10000f, false, LlamaConfig.RopeLayout.HALF_SPLIT, null);
        LlamaModel model = new LlamaModel(config, new RefBackend());
        model.initRandom(21, 0.3f);
        model.parameters().copyFrom(withRoundingTies(model.parameters().toArray()));
        Path st = dir.resolve("st/model.safetensors");
        ModelFiles.save(model, st, ModelFiles.Format.SAFETENSORS, "f32", null);
        String tokenizer = ExternalTools.resource("/tokenizer/spm-tiny.tokenizer.bin").toString();
        Path reference = dir.resolve("f32.gguf");
        PieceRun.of("convert", st.toString(), reference.toString(), "--tokenizer", tokenizer).ok();

        for (String type : List.of("f16", "bf16", "q8_0")) {
            Path gguf = dir.resolve(type + ".gguf"), decoded = dir.resolve(type + ".f32");
            PieceRun.of("convert", st.toString(), gguf.toString(), "--type", type, "--tokenizer", tokenizer).ok();
            var r = ExternalTools.run(300, List.of(python, ExternalTools.resource("/interop/gguf_check.py").toString(),
                    reference.toString(), gguf.toString(), decoded.toString()));
            assertEquals(0, r.exitCode(), type + ": the independent reader failed: " + r.err());
            List<String> lines = r.out().lines().toList();
            assertEquals("done", lines.getLast(), type + ": " + r.out());
            assertTrue(lines.contains("key tokenizer.ggml.model 8 'llama'"), type + ": the vocabulary is embedded: " + r.out());
            assertTrue(lines.contains("key tokenizer.ggml.tokens 9 [700]"), type + ": " + r.out());

            ByteBuffer values = ByteBuffer.wrap(Files.readAllBytes(decoded)).order(ByteOrder.LITTLE_ENDIAN);
            int tensors = 0, quantized = 0;
            try (Checkpoint c = Checkpoint.open(gguf)) {
                for (String line : lines) {
                    if (!line.startsWith("tensor ")) continue;
                    String[] f = line.split(" ", 6); // tensor NAME TYPE DIMS OFFSET VERDICT
                    assertEquals("ok", f[5], type + ": the stored bytes of " + f[1] + " are not ggml's encoding of the F32 values");
                    float[] mine = c.tensor(TensorNames.fromGguf(f[1])).toFloatArray();
                    for (int i = 0; i < mine.length; i++) {
                        float theirs = values.getFloat();
                        if (Float.floatToRawIntBits(theirs) != Float.floatToRawIntBits(mine[i])) {
                            fail(type + " " + f[1] + "[" + i + "]: the independent reader decodes " + theirs + ", piece " + mine[i]);
                        }
                    }
                    tensors++;
                    if (f[2].equals(type.toUpperCase())) quantized++;
                }
            }
            assertEquals(0, values.remaining(), type + ": the independent reader decoded more values than piece's tensors hold");
            assertEquals(config.parameterSpecs().size(), tensors, type + ": tensors");
            assertEquals(2 + 7 * config.layers(), quantized, type + ": every matrix (embedding, output, 7 per layer) in " + type);
        }
    }
}
