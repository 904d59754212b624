package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;
import io.piece4j.nn.LlamaConfig.RopeScaling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

import static io.piece4j.nn.format.FloatAssertions.assertBitsEqual;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufTest {
    @TempDir Path dir;

    private static final LlamaConfig INTERLEAVED = TinyModels.config(RopeLayout.INTERLEAVED, false);

    private Path file(byte[] bytes) throws IOException {
        Path p = dir.resolve("model.gguf");
        Files.write(p, bytes);
        return p;
    }

    private static String messageOf(Path p) {
        return assertThrows(CheckpointFormatException.class, () -> GgufReader.read(p).close()).getMessage();
    }

    /** A valid llama GGUF of the tiny config, all F32, built by hand. */
    private static GgufBuilder validFile() {
        return new GgufBuilder().llamaKeys(INTERLEAVED).llamaTensorsF32(TinyModels.weights(INTERLEAVED, 1));
    }

    @Test
    void f32RoundTripIsBitExact() throws IOException {
        List<NamedTensor> weights = TinyModels.weights(INTERLEAVED, 42);
        Path p = dir.resolve("m.gguf");
        GgufWriter.write(p, INTERLEAVED, weights, ElementType.F32, null);
        try (Checkpoint c = Checkpoint.open(p)) {
            assertEquals("gguf", c.format());
            assertEquals(INTERLEAVED, c.config());
            assertEquals(weights.size(), c.tensors().size());
            for (NamedTensor w : weights) {
                CheckpointTensor t = c.tensor(w.name());
                assertEquals(ElementType.F32, t.sourceType());
                assertBitsEqual(w.data(), t.toFloatArray(), w.name());
            }
            assertTrue(c.vocabulary().isEmpty());
        }
    }

    @Test
    void halfSplitWeightsAreWrittenInterleaved() throws IOException {
        LlamaConfig halfSplit = TinyModels.config(RopeLayout.HALF_SPLIT, false);
        List<NamedTensor> weights = TinyModels.weights(halfSplit, 5);
        Path p = dir.resolve("m.gguf");
        GgufWriter.write(p, halfSplit, weights, ElementType.F32, null);
        try (Checkpoint c = GgufReader.read(p)) {
            assertEquals(RopeLayout.INTERLEAVED, c.config().ropeLayout(), "GGUF reports its own layout");
            NamedTensor wq = TinyModels.find(weights, "layers.1.attn.wq"), wk = TinyModels.find(weights, "layers.1.attn.wk");
            assertBitsEqual(RopePermutation.halfSplitToInterleaved(wq.data(), 16, 16, 4), c.tensor("layers.1.attn.wq").toFloatArray(), "wq permuted per query head");
            assertBitsEqual(RopePermutation.halfSplitToInterleaved(wk.data(), 8, 16, 2), c.tensor("layers.1.attn.wk").toFloatArray(), "wk permuted per KV head");
            assertBitsEqual(TinyModels.find(weights, "layers.1.attn.wv").data(), c.tensor("layers.1.attn.wv").toFloatArray(), "wv untouched");
        }
    }

    @Test
    void f16RoundTripGivesHalfRoundedMatricesAndExactNorms() throws IOException {
        List<NamedTensor> weights = TinyModels.weights(INTERLEAVED, 9);
        Path p = dir.resolve("m.gguf");
        GgufWriter.write(p, INTERLEAVED, weights, ElementType.F16, null);
        try (Checkpoint c = GgufReader.read(p)) {
            for (NamedTensor w : weights) {
                CheckpointTensor t = c.tensor(w.name());
                float[] expected = w.data().clone();
                if (w.shape().length == 2) {
                    for (int i = 0; i < expected.length; i++) expected[i] = Float.float16ToFloat(Float.floatToFloat16(expected[i]));
                }
                assertEquals(w.shape().length == 2 ? ElementType.F16 : ElementType.F32, t.sourceType(), w.name());
                assertBitsEqual(expected, t.toFloatArray(), w.name());
            }
        }
    }

    @Test
    void tiedModelHasNoOutputTensorAndReadsBackTied() throws IOException {
        LlamaConfig tied = TinyModels.config(RopeLayout.INTERLEAVED, true);
        Path p = dir.resolve("m.gguf");
        GgufWriter.write(p, tied, TinyModels.weights(tied, 3), ElementType.F32, null);
        try (Checkpoint c = GgufReader.read(p)) {
            assertTrue(c.config().tiedEmbeddings());
            assertFalse(c.tensors().stream().anyMatch(t -> t.name().equals("output")));
        }
    }

    @Test
    void vocabularyRoundTrips() throws IOException {
        String[] tokens = {"<unk>", "<s>", "</s>", "<0x0A>", "▁a", "▁b", "ab", "é", "c", "d", "e"};
        GgufVocabulary v = new GgufVocabulary("llama", tokens, new float[] {0, 0, 0, 0, -1, -2, -3, -4.5f, -5, -6, -7},
                new int[] {2, 3, 3, 6, 1, 1, 1, 1, 1, 1, 1}, new String[] {"▁ a", "a b"}, 1, 2);
        Path p = dir.resolve("m.gguf");
        GgufWriter.write(p, INTERLEAVED, TinyModels.weights(INTERLEAVED, 3), ElementType.F32, v);
        try (Checkpoint c = GgufReader.read(p)) {
            assertEquals(v, c.vocabulary().orElseThrow());
            assertEquals("llama", c.metadata().get("tokenizer.ggml.model"));
        }
    }

    @Test
    void ropeScalingRoundTripsExactlyThroughOurKeys() throws IOException {
        LlamaConfig scaled = new LlamaConfig(16, 2, 4, 2, 4, 24, 11, 8, 1e-5f, 500000f, false, RopeLayout.INTERLEAVED,
                new RopeScaling(32, 1, 4, 8192));
        Path p = dir.resolve("m.gguf");
        GgufWriter.write(p, scaled, TinyModels.weights(scaled, 3), ElementType.F32, null);
        try (Checkpoint c = GgufReader.read(p)) {
            assertEquals(scaled, c.config());
        }
    }

    @Test
    void llamaCppRopeFreqsAloneGiveTheSameFrequencies() throws IOException {
        // as llama.cpp writes Llama 3.2: only rope_freqs.weight, no scaling keys; head size 64 so the band has points
        RopeScaling llama32 = new RopeScaling(32, 1, 4, 8192);
        LlamaConfig c = new LlamaConfig(64, 1, 1, 1, 64, 8, 3, 16, 1e-5f, 500000f, true, RopeLayout.INTERLEAVED, null);
        float[] divisors = Llama3RopeFactors.of(llama32, 64, 500000f);
        Path p = file(new GgufBuilder().llamaKeys(c).llamaTensorsF32(TinyModels.weights(c, 2))
                .tensorF32("rope_freqs.weight", new int[] {32}, divisors).build());
        try (Checkpoint read = GgufReader.read(p)) {
            RopeScaling recovered = read.config().ropeScaling();
            FloatAssertions.assertClose(divisors, Llama3RopeFactors.of(recovered, 64, 500000f), 1e-4 * 32, "divisors of " + recovered);
            assertEquals(32f, recovered.factor());
        }
    }

    @Test
    void quantisedAndBf16TensorsDequantiseByTheSpecification() throws IOException {
        // dim 32 so a row is one Q8_0/Q4_0 block; one layer, tied
        LlamaConfig c = new LlamaConfig(32, 1, 4, 2, 8, 32, 2, 8, 1e-5f, 10000f, true, RopeLayout.INTERLEAVED, null);
        List<NamedTensor> weights = TinyModels.weights(c, 4);
        GgufBuilder b = new GgufBuilder().llamaKeys(c);
        // token_embd Q8_0: row 0 d = 0.5, q = -128..-97; row 1 d = -2, q = 0..31
        ByteBuffer q8 = ByteBuffer.allocate(68).order(ByteOrder.LITTLE_ENDIAN);
        q8.putShort((short) 0x3800);
        for (int j = 0; j < 32; j++) q8.put((byte) (-128 + j));
        q8.putShort((short) 0xC000);
        for (int j = 0; j < 32; j++) q8.put((byte) j);
        b.tensor("token_embd.weight", new int[] {2, 32}, GgufFile.GGML_Q8_0, q8.array());
        // blk.0.attn_norm BF16: 1.0 (0x3F80) repeated
        ByteBuffer bf = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < 32; j++) bf.putShort((short) 0x3F80);
        b.tensor("blk.0.attn_norm.weight", new int[] {32}, GgufFile.GGML_BF16, bf.array());
        // blk.0.ffn_up Q4_0: every row d = 2, byte j = j | (15 - j) << 4
        ByteBuffer q4 = ByteBuffer.allocate(32 * 18).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < 32; r++) {
            q4.putShort((short) 0x4000);
            for (int j = 0; j < 16; j++) q4.put((byte) (j | (15 - j) << 4));
        }
        b.tensor("blk.0.ffn_up.weight", new int[] {32, 32}, GgufFile.GGML_Q4_0, q4.array());
        for (NamedTensor t : weights) {
            String name = TensorNames.toGguf(t.name());
            if (!name.equals("token_embd.weight") && !name.equals("blk.0.attn_norm.weight") && !name.equals("blk.0.ffn_up.weight")) {
                b.tensorF32(name, t.shape(), t.data());
            }
        }
        try (Checkpoint read = GgufReader.read(file(b.build()))) {
            float[] emb = read.tensor("tok_embeddings").toFloatArray();
            assertEquals(ElementType.Q8_0, read.tensor("tok_embeddings").sourceType());
            assertEquals(-64f, emb[0], "0.5 * -128");
            assertEquals(-48.5f, emb[31], "0.5 * -97");
            assertEquals(-62f, emb[63], "-2 * 31");
            float[] ones = new float[32];
            Arrays.fill(ones, 1f);
            assertBitsEqual(ones, read.tensor("layers.0.attn_norm").toFloatArray(), "BF16 0x3F80");
            float[] up = read.tensor("layers.0.mlp.w_up").toFloatArray();
            assertEquals(-16f, up[0], "2 * (0 - 8)");
            assertEquals(14f, up[15], "2 * (15 - 8)");
            assertEquals(14f, up[16], "2 * (15 - 0 - 8)");
            assertEquals(-16f, up[32 * 32 - 1], "last row, high nibble of byte 15 = 0: 2 * (0 - 8)");
        }
    }

    @Test
    void vocabularySizeComesFromTheTokensWhenTheKeyIsAbsent() throws IOException {
        GgufBuilder b = new GgufBuilder().string("general.architecture", "llama")
                .u32("llama.context_length", 8).u32("llama.embedding_length", 16).u32("llama.block_count", 2)
                .u32("llama.feed_forward_length", 24).u32("llama.attention.head_count", 4)
                .u32("llama.attention.head_count_kv", 2).f32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .strings("tokenizer.ggml.tokens", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k")
                .llamaTensorsF32(TinyModels.weights(INTERLEAVED, 1));
        try (Checkpoint c = GgufReader.read(file(b.build()))) {
            assertEquals(11, c.config().vocabSize());
            assertEquals(10000f, c.config().ropeTheta(), "llama.rope.freq_base defaults to 10000");
            assertEquals(-1, c.vocabulary().orElseThrow().bosId(), "no bos key gives -1");
        }
    }

    @Test
    void tensorsPastTwoGigabytesAreReadThroughLongOffsets() throws IOException {
        // a sparse file: tensor data starts 2^31 + 2^20 bytes into the data section, so every offset needs 64 bits
        List<NamedTensor> weights = TinyModels.weights(INTERLEAVED, 8);
        GgufBuilder header = new GgufBuilder().llamaKeys(INTERLEAVED);
        long offset = (1L << 31) + (1L << 20);
        long[] offsets = new long[weights.size()];
        for (int i = 0; i < weights.size(); i++) {
            NamedTensor t = weights.get(i);
            long[] dims = new long[t.shape().length];
            for (int d = 0; d < dims.length; d++) dims[d] = t.shape()[dims.length - 1 - d];
            offsets[i] = offset;
            header.rawTensor(TensorNames.toGguf(t.name()), dims, GgufFile.GGML_F32, new byte[0], offset);
            offset += (t.data().length * 4L + 31) / 32 * 32;
        }
        byte[] head = header.build();
        Path p = dir.resolve("big.gguf");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(head), 0);
            for (int i = 0; i < weights.size(); i++) {
                ByteBuffer data = ByteBuffer.allocate(weights.get(i).data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : weights.get(i).data()) data.putFloat(v);
                ch.write(data.flip(), head.length + offsets[i]);
            }
        }
        assertTrue(Files.size(p) > (1L << 31), "file of " + Files.size(p) + " bytes");
        try (Checkpoint c = GgufReader.read(p)) {
            for (NamedTensor w : weights) assertBitsEqual(w.data(), c.tensor(w.name()).toFloatArray(), w.name());
        }
    }

    @Test
    void version2FilesAreRead() throws IOException {
        try (Checkpoint c = GgufReader.read(file(validFile().version(2).build()))) {
            assertEquals(2L, c.metadata().get("gguf.version"));
        }
    }

    // ---- bad input: one test per case -------------------------------------------------------------------

    @Test
    void wrongMagic() throws IOException {
        assertEquals("model.gguf: magic 0x46554746: expected 0x46554747 (\"GGUF\")", messageOf(file(validFile().magic(0x46554746).build())));
    }

    @Test
    void version1IsRefused() throws IOException {
        assertEquals("model.gguf: version 1: expected 2 or 3", messageOf(file(validFile().version(1).build())));
    }

    @Test
    void truncatedHeader() throws IOException {
        assertEquals("model.gguf: file is 10 bytes: expected at least 24 (the GGUF header)",
                messageOf(file(Arrays.copyOf(validFile().build(), 10))));
    }

    @Test
    void truncatedTensorData() throws IOException {
        byte[] full = validFile().build();
        String m = messageOf(file(Arrays.copyOf(full, full.length - 4)));
        assertTrue(m.startsWith("model.gguf: tensor 'output.weight' data [") && m.contains("runs past the end of the data section"), m);
    }

    @Test
    void stringLengthPastTheEnd() throws IOException {
        byte[] bytes = new GgufBuilder().raw("general.name", GgufFile.STRING, GgufBuilder.le(8, 1L << 40)).build();
        // header 24 + key (8 + 12) + type 4 + length 8 = 56; zero padding to 64
        assertEquals("model.gguf: metadata 'general.name': needs 1099511627776 bytes at offset 56 but the file ends at 64"
                + " (truncated or corrupt)", messageOf(file(bytes)));
    }

    @Test
    void invalidUtf8InAString() throws IOException {
        byte[] bytes = validFile().string("general.name", "tiny\u00e9").build();
        // the name's last two bytes are C3 A9 (é); make the continuation byte invalid
        int at = indexOf(bytes, new byte[] {'t', 'i', 'n', 'y', (byte) 0xC3, (byte) 0xA9}) + 5;
        bytes[at] = 'x';
        assertEquals("model.gguf: metadata 'general.name': invalid UTF-8: expected a UTF-8 string", messageOf(file(bytes)));
    }

    @Test
    void unknownTensorTypeIsNamedWithTheTensor() throws IOException {
        GgufBuilder b = new GgufBuilder().llamaKeys(INTERLEAVED);
        for (NamedTensor t : TinyModels.weights(INTERLEAVED, 1)) {
            String name = TensorNames.toGguf(t.name());
            if (name.equals("blk.0.attn_q.weight")) b.tensor(name, t.shape(), 99, new byte[64]);
            else b.tensorF32(name, t.shape(), t.data());
        }
        assertEquals("model.gguf: tensor 'blk.0.attn_q.weight' type 99 (unknown): expected one of F32, F16, BF16, Q8_0, Q4_0",
                messageOf(file(b.build())));
    }

    @Test
    void knownButUnsupportedTypeIsNamed() throws IOException {
        GgufBuilder b = new GgufBuilder().llamaKeys(INTERLEAVED);
        for (NamedTensor t : TinyModels.weights(INTERLEAVED, 1)) {
            String name = TensorNames.toGguf(t.name());
            if (name.equals("blk.1.ffn_down.weight")) b.tensor(name, t.shape(), 12, new byte[64]);
            else b.tensorF32(name, t.shape(), t.data());
        }
        assertEquals("model.gguf: tensor 'blk.1.ffn_down.weight' type 12 (Q4_K): expected one of F32, F16, BF16, Q8_0, Q4_0",
                messageOf(file(b.build())));
    }

    @Test
    void tensorShapeThatDisagreesWithTheConfig() throws IOException {
        LlamaConfig wider = new LlamaConfig(16, 2, 4, 2, 4, 28, 11, 8, 1e-5f, 10000f, false, RopeLayout.INTERLEAVED, null);
        byte[] bytes = new GgufBuilder().llamaKeys(wider).llamaTensorsF32(TinyModels.weights(INTERLEAVED, 1)).build();
        String m = messageOf(file(bytes));
        assertTrue(m.startsWith("model.gguf: tensor 'blk.0.ffn_gate.weight' shape [24, 16]: expected [28, 16]"), m);
    }

    @Test
    void otherArchitecturesAreRefused() throws IOException {
        byte[] bytes = new GgufBuilder().string("general.architecture", "gpt2").build();
        assertEquals("model.gguf: metadata 'general.architecture' = \"gpt2\": expected \"llama\"", messageOf(file(bytes)));
    }

    @Test
    void missingRequiredKeyIsNamed() throws IOException {
        byte[] bytes = new GgufBuilder().string("general.architecture", "llama").u32("llama.embedding_length", 16).build();
        assertEquals("model.gguf: metadata 'llama.block_count' is missing: expected a positive integer", messageOf(file(bytes)));
    }

    @Test
    void absurdTensorCountIsRejectedBeforeAllocating() throws IOException {
        byte[] bytes = validFile().build();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 1L << 40);
        assertTrue(messageOf(file(bytes)).startsWith("model.gguf: tensor_count 1099511627776: more tensor infos than the"));
    }

    @Test
    void absurdLayerCountIsRejectedBeforeBuildingTheParameterList() throws IOException {
        LlamaConfig manyLayers = new LlamaConfig(16, 200_000_000, 4, 2, 4, 24, 11, 8, 1e-5f, 10000f, false, RopeLayout.INTERLEAVED, null);
        byte[] bytes = new GgufBuilder().llamaKeys(manyLayers).llamaTensorsF32(TinyModels.weights(INTERLEAVED, 1)).build();
        assertEquals("model.gguf: the file has 21 Llama tensors: expected 1800000003 for 200000000 layers (untied output)",
                messageOf(file(bytes)));
    }

    @Test
    void absurdArrayLengthIsRejectedBeforeAllocating() throws IOException {
        byte[] value = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(GgufFile.INT32).putLong(Long.MAX_VALUE).array();
        byte[] bytes = new GgufBuilder().raw("tokenizer.ggml.token_type", GgufFile.ARRAY, value).build();
        assertTrue(messageOf(file(bytes)).startsWith("model.gguf: metadata 'tokenizer.ggml.token_type' array length 9223372036854775807:"
                + " more elements than the"), messageOf(file(bytes)));
    }

    @Test
    void negativeDimensionIsRejected() throws IOException {
        // dims are u64: a "negative" dimension reads as 2^64 - 1
        byte[] bytes = new GgufBuilder().rawTensor("token_embd.weight", new long[] {-1L, 11}, 0, new byte[0], 0).build();
        assertEquals("model.gguf: tensor 'token_embd.weight' dims[0] = 18446744073709551615: expected 1 to 2147483647", messageOf(file(bytes)));
    }

    @Test
    void zeroOrTooManyDimensionsAreRejected() throws IOException {
        byte[] zero = new GgufBuilder().rawTensor("t", new long[] {0}, 0, new byte[0], 0).build();
        assertEquals("model.gguf: tensor 't' dims[0] = 0: expected 1 to 2147483647", messageOf(file(zero)));
        byte[] five = new GgufBuilder().rawTensor("t", new long[] {1, 1, 1, 1, 1}, 0, new byte[4], 0).build();
        assertEquals("model.gguf: tensor 't' n_dims = 5: expected 1 to 4", messageOf(file(five)));
    }

    @Test
    void misalignedTensorOffsetIsRejected() throws IOException {
        byte[] bytes = new GgufBuilder().rawTensor("t", new long[] {1}, 0, new byte[8], 4).build();
        assertEquals("model.gguf: tensor 't' offset 4: expected a multiple of the alignment 32", messageOf(file(bytes)));
    }

    @Test
    void alignmentThatIsNotAPowerOfTwoIsRejected() throws IOException {
        byte[] bytes = new GgufBuilder().u32("general.alignment", 24).build();
        assertEquals("model.gguf: metadata 'general.alignment' = 24: expected a power of two up to 2^30", messageOf(file(bytes)));
    }

    @Test
    void overlappingTensorsAreRejected() throws IOException {
        byte[] bytes = new GgufBuilder().rawTensor("a", new long[] {16}, 0, new byte[64], 0)
                .rawTensor("b", new long[] {8}, 0, new byte[0], 32).build();
        assertEquals("model.gguf: tensor 'b' data at 32 overlaps tensor 'a' [0, 64): expected separate tensors", messageOf(file(bytes)));
    }

    @Test
    void quantisedRowNotAMultipleOfTheBlockIsRejected() throws IOException {
        byte[] bytes = new GgufBuilder().rawTensor("t", new long[] {16}, GgufFile.GGML_Q8_0, new byte[34], 0).build();
        assertEquals("model.gguf: tensor 't' type Q8_0 dims[0] = 16: expected a multiple of the block size 32", messageOf(file(bytes)));
    }

    @Test
    void duplicateKeysAreRejected() throws IOException {
        byte[] bytes = new GgufBuilder().u32("llama.block_count", 2).u32("llama.block_count", 3).build();
        assertEquals("model.gguf: metadata 'llama.block_count' appears twice: expected unique keys", messageOf(file(bytes)));
    }

    @Test
    void boolOtherThanZeroOrOneIsRejected() throws IOException {
        byte[] bytes = new GgufBuilder().raw("general.flag", GgufFile.BOOL, new byte[] {2}).build();
        assertEquals("model.gguf: metadata 'general.flag' bool byte 2: expected 0 or 1", messageOf(file(bytes)));
    }

    @Test
    void extraTensorIsRefused() throws IOException {
        byte[] bytes = validFile().tensorF32("blk.0.attn_q.bias", new int[] {16}, new float[16]).build();
        assertEquals("model.gguf: tensor 'blk.0.attn_q.bias' is not a parameter of a Llama model: expected GGUF llama names"
                + " such as blk.0.attn_q.weight", messageOf(file(bytes)));
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("pattern not found");
    }
}
