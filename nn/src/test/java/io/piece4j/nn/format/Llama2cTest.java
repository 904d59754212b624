package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static io.piece4j.nn.format.FloatAssertions.assertBitsEqual;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Llama2cTest {
    @TempDir Path dir;

    // dim 4, hidden 6, 1 layer, 2 heads of 2, 1 KV head, vocab 3, seq 2
    private static final int[] HEADER = {4, 6, 1, 2, 1, 3, 2};
    // element counts of tok, attn_norm, wq, wk, wv, wo, mlp_norm, w1 (gate), w2 (down), w3 (up), norm, output
    private static final int TOK = 12, NORM = 4, WQ = 16, WKV = 8, WO = 16, FFN = 24;

    private Path file(ByteBuffer b) throws IOException {
        Path p = dir.resolve("model.bin");
        Files.write(p, Arrays.copyOf(b.array(), b.position()));
        return p;
    }

    private static ByteBuffer buffer() {
        return ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void fill(ByteBuffer b, int count, float value) {
        for (int i = 0; i < count; i++) b.putFloat(value);
    }

    private static String messageOf(Path p) {
        return assertThrows(CheckpointFormatException.class, () -> Llama2cReader.read(p).close()).getMessage();
    }

    private static void assertAll(Checkpoint c, String name, float value) {
        float[] x = c.tensor(name).toFloatArray();
        float[] expected = new float[x.length];
        Arrays.fill(expected, value);
        assertBitsEqual(expected, x, name + " should hold marker " + value);
    }

    /** A legacy file laid out by hand, each tensor filled with its own marker value. */
    private static ByteBuffer legacyByHand(boolean shared) {
        ByteBuffer b = buffer();
        for (int i = 0; i < 7; i++) b.putInt(i == 5 && !shared ? -HEADER[5] : HEADER[i]);
        fill(b, TOK, 1);
        fill(b, NORM, 2);
        fill(b, WQ, 3);
        fill(b, WKV, 4);
        fill(b, WKV, 5);
        fill(b, WO, 6);
        fill(b, NORM, 7);
        fill(b, FFN, 8);
        fill(b, FFN, 9);
        fill(b, FFN, 10);
        fill(b, NORM, 11);
        fill(b, 2, 12); // freq_cis_real: seq_len * head_size / 2
        fill(b, 2, 13); // freq_cis_imag
        if (!shared) fill(b, TOK, 14);
        return b;
    }

    @Test
    void legacyLayoutMapsW1ToGateW2ToDownW3ToUpAndNegativeVocabToAnUnsharedClassifier() throws IOException {
        try (Checkpoint c = Checkpoint.open(file(legacyByHand(false)))) {
            assertEquals(new LlamaConfig(4, 1, 2, 1, 2, 6, 3, 2, 1e-5f, 10000f, false, RopeLayout.INTERLEAVED, null), c.config());
            assertEquals("llama2c", c.format());
            assertEquals(0L, c.metadata().get("llama2c.version"));
            assertAll(c, "tok_embeddings", 1);
            assertAll(c, "layers.0.attn_norm", 2);
            assertAll(c, "layers.0.attn.wq", 3);
            assertAll(c, "layers.0.attn.wk", 4);
            assertAll(c, "layers.0.attn.wv", 5);
            assertAll(c, "layers.0.attn.wo", 6);
            assertAll(c, "layers.0.mlp_norm", 7);
            assertAll(c, "layers.0.mlp.w_gate", 8);
            assertAll(c, "layers.0.mlp.w_down", 9);
            assertAll(c, "layers.0.mlp.w_up", 10);
            assertAll(c, "norm", 11);
            assertAll(c, "output", 14);
        }
    }

    @Test
    void legacyPositiveVocabMeansTied() throws IOException {
        try (Checkpoint c = Checkpoint.open(file(legacyByHand(true)))) {
            assertTrue(c.config().tiedEmbeddings());
            assertEquals(c.config().parameterSpecs().size(), c.tensors().size());
        }
    }

    @Test
    void version1LayoutPutsNormsFirst() throws IOException {
        ByteBuffer b = buffer();
        b.putInt(Llama2cReader.MAGIC).putInt(1);
        for (int h : HEADER) b.putInt(h);
        b.put((byte) 0); // unshared
        b.position(256);
        fill(b, NORM, 2);   // attn_norm
        fill(b, NORM, 7);   // mlp_norm
        fill(b, NORM, 11);  // norm
        fill(b, TOK, 1);
        fill(b, WQ, 3);
        fill(b, WKV, 4);
        fill(b, WKV, 5);
        fill(b, WO, 6);
        fill(b, FFN, 8);
        fill(b, FFN, 9);
        fill(b, FFN, 10);
        fill(b, TOK, 14);
        try (Checkpoint c = Checkpoint.open(file(b))) {
            assertEquals(1L, c.metadata().get("llama2c.version"));
            assertAll(c, "layers.0.attn_norm", 2);
            assertAll(c, "layers.0.mlp_norm", 7);
            assertAll(c, "norm", 11);
            assertAll(c, "tok_embeddings", 1);
            assertAll(c, "layers.0.mlp.w_gate", 8);
            assertAll(c, "layers.0.mlp.w_down", 9);
            assertAll(c, "layers.0.mlp.w_up", 10);
            assertAll(c, "output", 14);
        }
    }

    /** Version 2, shared classifier, group size 4: q[i] = i % 7 - 3 in every weight, scale of weight k = 0.5 (k + 1), each weight's values followed by its scales. */
    private static ByteBuffer version2(int groupSize) {
        ByteBuffer b = buffer();
        b.putInt(Llama2cReader.MAGIC).putInt(2);
        for (int h : HEADER) b.putInt(h);
        b.put((byte) 1).putInt(groupSize); // group_size sits unaligned at offset 37
        b.position(256);
        fill(b, NORM, 2);
        fill(b, NORM, 7);
        fill(b, NORM, 11);
        int[] sizes = {TOK, WQ, WKV, WKV, WO, FFN, FFN, FFN};
        for (int k = 0; k < sizes.length; k++) { // each weight's values, then its scales
            for (int i = 0; i < sizes[k]; i++) b.put((byte) (i % 7 - 3));
            fill(b, sizes[k] / groupSize, 0.5f * (k + 1));
        }
        return b;
    }

    @Test
    void version2DequantisesValueTimesGroupScale() throws IOException {
        try (Checkpoint c = Checkpoint.open(file(version2(4)))) {
            assertTrue(c.config().tiedEmbeddings());
            assertEquals(ElementType.Q8_LLAMA2C, c.tensor("tok_embeddings").sourceType());
            assertEquals(ElementType.F32, c.tensor("norm").sourceType());
            assertAll(c, "norm", 11);
            float[] tok = c.tensor("tok_embeddings").toFloatArray();
            float[] up = c.tensor("layers.0.mlp.w_up").toFloatArray(); // weight k = 7: scale 4
            for (int i = 0; i < TOK; i++) assertEquals(0.5f * (i % 7 - 3), tok[i], "tok_embeddings[" + i + "]");
            for (int i = 0; i < FFN; i++) assertEquals(4f * (i % 7 - 3), up[i], "w_up[" + i + "]");
        }
    }

    @Test
    void writtenLegacyAndVersion1FilesReadBackExactly() throws IOException {
        for (boolean tied : new boolean[] {false, true}) {
            LlamaConfig config = TinyModels.config(RopeLayout.INTERLEAVED, tied);
            List<NamedTensor> weights = TinyModels.weights(config, tied ? 31 : 32);
            for (int version = 0; version <= 1; version++) {
                Path p = dir.resolve("v" + version + ".bin");
                Llama2cWriter.write(p, config, weights, version);
                try (Checkpoint c = Checkpoint.open(p)) {
                    assertEquals(config, c.config(), "version " + version);
                    for (NamedTensor w : weights) assertBitsEqual(w.data(), c.tensor(w.name()).toFloatArray(), "v" + version + " " + w.name());
                }
            }
        }
    }

    @Test
    void writtenHalfSplitWeightsArePermutedToInterleaved() throws IOException {
        LlamaConfig config = TinyModels.config(RopeLayout.HALF_SPLIT, false);
        List<NamedTensor> weights = TinyModels.weights(config, 33);
        Path p = dir.resolve("m.bin");
        Llama2cWriter.write(p, config, weights, 1);
        try (Checkpoint c = Checkpoint.open(p)) {
            assertBitsEqual(RopePermutation.halfSplitToInterleaved(TinyModels.find(weights, "layers.0.attn.wq").data(), 16, 16, 4),
                    c.tensor("layers.0.attn.wq").toFloatArray(), "wq");
        }
    }

    @Test
    void writerRefusesWhatTheFormatCannotStore() {
        LlamaConfig eps6 = new LlamaConfig(16, 2, 4, 2, 4, 24, 11, 8, 1e-6f, 10000f, false, RopeLayout.INTERLEAVED, null);
        var e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cWriter.write(dir.resolve("m.bin"), eps6, TinyModels.weights(eps6, 1), 0));
        assertEquals("normEps = 1.0E-6: llama2.c assumes 1.0E-5", e.getMessage());
    }

    // ---- bad input ---------------------------------------------------------------------------------------

    @Test
    void truncatedHeader() throws IOException {
        ByteBuffer b = buffer().putInt(4).putInt(6);
        assertEquals("model.bin: file is 8 bytes: expected at least 28 (the llama2.c header of 7 int32)", messageOf(file(b)));
    }

    @Test
    void fileSizeThatDisagreesWithTheHeader() throws IOException {
        ByteBuffer b = legacyByHand(false);
        b.position(b.position() - 4);
        // 28 header bytes + 160 floats: 12 + 4 + 16 + 8 + 8 + 16 + 4 + 3 * 24 + 4 + 2 * 2 (freq_cis) + 12
        assertEquals("model.bin: file is 664 bytes: expected 668 for a version 0 file of dim 4, hidden_dim 6, n_layers 1,"
                + " n_heads 2, n_kv_heads 1, vocab_size 3, seq_len 2, unshared classifier", messageOf(file(b)));
    }

    @Test
    void absurdHeaderSizesAreRejectedWithoutAllocating() throws IOException {
        // petabytes: a valid config, refused by the size check before anything is allocated
        ByteBuffer b = buffer();
        for (int v : new int[] {1 << 20, 1 << 20, 1 << 10, 1, 1, 1 << 20, 1 << 10}) b.putInt(v);
        String m = messageOf(file(b));
        assertTrue(m.startsWith("model.bin: file is 28 bytes: expected 31529608327200796 for"), m);
        // sizes whose parameter count overflows a long
        b = buffer();
        for (int v : new int[] {1 << 30, 1 << 30, 1 << 20, 1, 1, 1 << 30, 1 << 30}) b.putInt(v);
        m = messageOf(file(b));
        assertTrue(m.startsWith("model.bin: header describes an impossible model: parameter count overflows a long"), m);
    }

    @Test
    void zeroHeadsIsRejected() throws IOException {
        ByteBuffer b = legacyByHand(false);
        b.putInt(12, 0);
        assertEquals("model.bin: header n_heads = 0: expected a positive number", messageOf(file(b)));
    }

    @Test
    void dimNotAMultipleOfHeadsIsRejected() throws IOException {
        ByteBuffer b = legacyByHand(false);
        b.putInt(12, 3);
        assertEquals("model.bin: header dim = 4 is not a multiple of n_heads = 3: expected head_size = dim / n_heads", messageOf(file(b)));
    }

    @Test
    void kvHeadsThatDoNotDivideHeadsAreRejected() throws IOException {
        ByteBuffer b = legacyByHand(false);
        b.putInt(12, 4).putInt(16, 3);
        assertEquals("model.bin: header describes an impossible model: kvHeads = 3: expected a divisor of heads = 4", messageOf(file(b)));
    }

    @Test
    void unknownVersionIsRejected() throws IOException {
        ByteBuffer b = version2(4);
        b.putInt(4, 3);
        assertEquals("model.bin: version 3: expected 1 or 2", messageOf(file(b)));
    }

    @Test
    void groupSizeThatDoesNotDivideAWeightIsRejected() throws IOException {
        ByteBuffer b = buffer();
        b.putInt(Llama2cReader.MAGIC).putInt(2);
        for (int h : HEADER) b.putInt(h);
        b.put((byte) 1).putInt(5);
        b.position(256 + 12 * 4 + 132 + (132 / 5) * 4); // norms, int8 values, floor(132 / 5) scales
        assertEquals("model.bin: tok_embeddings has 12 values: expected a multiple of group_size 5", messageOf(file(b)));
    }

    @Test
    void nonBinaryClassifierFlagIsRejected() throws IOException {
        ByteBuffer b = version2(4);
        b.put(36, (byte) 7);
        assertEquals("model.bin: shared_classifier = 7: expected 0 or 1", messageOf(file(b)));
    }
}
