package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static io.piece4j.nn.format.FloatAssertions.assertBitsEqual;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * GGML Q4_0 decoding over several blocks that each have their own scale and their own nibbles, read
 * from the start of the tensor and from ranges that start and end in the middle of a block. A block is
 * 18 bytes: the fp16 scale d, then 16 bytes whose low nibbles are elements 0..15 and whose high nibbles
 * are elements 16..31; element = d * (nibble - 8).
 */
class Q4_0BlocksTest {
    @TempDir Path dir;

    /** Scales of the three blocks as fp16 bits, and the same values as floats: 0.5, -1.5, 3.140625 (pi in fp16). */
    private static final short[] SCALE_BITS = {0x3800, (short) 0xBE00, 0x4248};
    private static final float[] SCALES = {0.5f, -1.5f, 3.140625f};

    /** Low nibble of byte j in block b. */
    private static int low(int b, int j) { return (j * (2 * b + 1) + 3 * b) & 15; }

    /** High nibble of byte j in block b. */
    private static int high(int b, int j) { return (15 - j + 5 * b) & 15; }

    private static byte[] blocks(int count) {
        ByteBuffer buf = ByteBuffer.allocate(count * 18).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < count; b++) {
            buf.putShort(SCALE_BITS[b % 3]);
            for (int j = 0; j < 16; j++) buf.put((byte) (low(b, j) | high(b, j) << 4));
        }
        return buf.array();
    }

    /** Element e of the blocks, from the specification. */
    private static float element(long e) {
        int b = (int) (e / 32), j = (int) (e % 32);
        int nibble = j < 16 ? low(b, j) : high(b, j - 16);
        return SCALES[b % 3] * (nibble - 8);
    }

    private static float[] expected(long first, int count) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) out[i] = element(first + i);
        return out;
    }

    @Test
    void threeBlocksWithTheirOwnScalesDecodeByTheSpecification() {
        float[] all = new float[96];
        ElementCodec.decode(ElementType.Q4_0, MemorySegment.ofArray(blocks(3)), 0, 96, all, 0);
        assertBitsEqual(expected(0, 96), all, "Q4_0 three blocks");
        // a few worked by hand: block 0 byte 0 = 0xF0 (low 0, high 15), block 1 byte 0 = 0x43 (low 3, high 4),
        // block 2 byte 15 = 0xA1 (low (5 * 15 + 6) & 15 = 1, high (15 - 15 + 10) & 15 = 10)
        assertEquals(0.5f * (0 - 8), all[0], "block 0 element 0: 0.5 * (0 - 8)");
        assertEquals(0.5f * (15 - 8), all[16], "block 0 element 16: 0.5 * (15 - 8)");
        assertEquals(-1.5f * (3 - 8), all[32], "block 1 element 0: -1.5 * (3 - 8)");
        assertEquals(-1.5f * (4 - 8), all[48], "block 1 element 16: -1.5 * (4 - 8)");
        assertEquals(3.140625f * (1 - 8), all[64 + 15], "block 2 element 15: pi16 * (1 - 8)");
        assertEquals(3.140625f * (10 - 8), all[64 + 31], "block 2 element 31: pi16 * (10 - 8)");
    }

    @Test
    void rangesStartingAndEndingMidBlockDecodeTheSameElements() {
        MemorySegment data = MemorySegment.ofArray(blocks(3));
        // (first, count): from a low nibble across two boundaries; from a high nibble to a low one; inside one half
        long[][] ranges = {{5, 80}, {21, 60}, {40, 5}, {63, 2}, {95, 1}};
        for (long[] r : ranges) {
            float[] got = new float[(int) r[1] + 2];
            Arrays.fill(got, 77f);
            ElementCodec.decode(ElementType.Q4_0, data, r[0], (int) r[1], got, 1);
            float[] want = new float[got.length];
            Arrays.fill(want, 77f);
            System.arraycopy(expected(r[0], (int) r[1]), 0, want, 1, (int) r[1]);
            assertBitsEqual(want, got, "Q4_0 elements [" + r[0] + ", " + (r[0] + r[1]) + ") written at offset 1");
        }
    }

    @Test
    void aQ4_0TensorInAGgufFileReadsRowsAndMidBlockRanges() throws IOException {
        // one layer, dim 32, hidden 96: each row of w_up (96, 32) is one block, each row of w_down (32, 96) three
        LlamaConfig c = new LlamaConfig(32, 1, 4, 2, 8, 96, 2, 8, 1e-5f, 10000f, true, RopeLayout.INTERLEAVED, null);
        GgufBuilder b = new GgufBuilder().llamaKeys(c);
        byte[] down = blocks(32 * 3);
        b.tensor("blk.0.ffn_down.weight", new int[] {32, 96}, GgufFile.GGML_Q4_0, down);
        for (NamedTensor t : TinyModels.weights(c, 9)) {
            String name = TensorNames.toGguf(t.name());
            if (!name.equals("blk.0.ffn_down.weight")) b.tensorF32(name, t.shape(), t.data());
        }
        Path p = dir.resolve("q4.gguf");
        Files.write(p, b.build());
        try (Checkpoint read = GgufReader.read(p)) {
            CheckpointTensor t = read.tensor("layers.0.mlp.w_down");
            assertEquals(ElementType.Q4_0, t.sourceType());
            assertBitsEqual(expected(0, 32 * 96), t.toFloatArray(), "w_down, all 96 blocks");
            float[] mid = new float[70];
            t.readRange(96 * 7 + 45, 70, mid, 0); // row 7 from the middle of its second block into row 8
            assertBitsEqual(expected(96 * 7 + 45, 70), mid, "w_down elements [717, 787)");
        }
    }
}
