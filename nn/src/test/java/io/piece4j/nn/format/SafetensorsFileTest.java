package io.piece4j.nn.format;

import io.piece4j.nn.format.SafetensorsFile.Data;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.piece4j.nn.format.FloatAssertions.assertBitsEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsFileTest {
    @TempDir Path dir;

    /** A file made by hand: u64 header length, the JSON header, then the data bytes. */
    private Path handMade(String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Path p = dir.resolve("hand.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private static String messageOf(Path p) {
        return assertThrows(CheckpointFormatException.class, () -> SafetensorsFile.open(p).close()).getMessage();
    }

    @Test
    void readsAHandMadeFileAccordingToTheSpecification() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1.5f).putFloat(-2f);          // "a": F32 [2] at [0, 8)
        data.putLong(-3L).putLong(1L << 40);         // "b": I64 [2] at [8, 24)
        Path p = handMade("{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[2,1],\"data_offsets\":[8,24]}}", data.array());
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertBitsEqual(new float[] {1.5f, -2f}, f.readFloats("a"), "a");
            assertArrayEquals(new long[] {-3L, 1L << 40}, f.readLongs("b"));
            assertArrayEquals(new int[] {2, 1}, f.tensor("b").shape());
            assertEquals(Map.of("k", "v"), f.metadata());
        }
    }

    @Test
    void writtenTensorsReadBackExactly() throws IOException {
        float[] f = {0f, -0f, 1e-40f, Float.MAX_VALUE, Float.intBitsToFloat(0x7FC00123), 3.25f};
        Map<String, Data> tensors = new LinkedHashMap<>();
        tensors.put("floats", Data.f32(new int[] {2, 3}, f));
        tensors.put("halves", Data.f16(new int[] {3}, new float[] {1f, -2f, 65504f}));
        tensors.put("brains", Data.bf16(new int[] {2}, new float[] {1f, 3.140625f}));
        tensors.put("ids", Data.i64(new int[] {4}, new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}));
        tensors.put("ints", Data.i32(new int[] {1, 2}, new int[] {-7, 7}));
        tensors.put("empty", Data.f32(new int[] {0, 4}, new float[0]));
        Path p = dir.resolve("w.safetensors");
        SafetensorsFile.write(p, tensors, Map.of("generator", "test"));
        try (SafetensorsFile r = SafetensorsFile.open(p)) {
            assertEquals(List.of("floats", "halves", "brains", "ids", "ints", "empty"), r.tensors().stream().map(SafetensorsFile.Entry::name).toList());
            assertBitsEqual(f, r.readFloats("floats"), "F32 (NaN payload and subnormal included)");
            assertBitsEqual(new float[] {1f, -2f, 65504f}, r.readFloats("halves"), "F16");
            assertBitsEqual(new float[] {1f, 3.140625f}, r.readFloats("brains"), "BF16");
            assertArrayEquals(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, r.readLongs("ids"));
            assertArrayEquals(new int[] {-7, 7}, r.readInts("ints"));
            assertArrayEquals(new long[] {-7, 7}, r.readLongs("ints"));
            assertEquals(0, r.readFloats("empty").length);
            assertEquals(Map.of("generator", "test"), r.metadata());
        }
    }

    @Test
    void headerIsPaddedToEightBytes() throws IOException {
        Path p = dir.resolve("w.safetensors");
        SafetensorsFile.write(p, Map.of("x", Data.f32(new int[] {1}, new float[] {1f})));
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong();
        assertEquals(0, n % 8, "header length " + n);
        assertEquals(8 + n + 4, Files.size(p), "file = 8 + header + one float");
    }

    @Test
    void readingIntegersAsFloatsNamesTheDtype() throws IOException {
        Path p = dir.resolve("w.safetensors");
        SafetensorsFile.write(p, Map.of("ids", Data.i64(new int[] {1}, new long[] {5})));
        try (SafetensorsFile r = SafetensorsFile.open(p)) {
            var e = assertThrows(CheckpointFormatException.class, () -> r.readFloats("ids"));
            assertEquals("w.safetensors: tensor 'ids' dtype I64: expected F32, F16, BF16 or F64 to read floats", e.getMessage());
            e = assertThrows(CheckpointFormatException.class, () -> r.readFloats("nope"));
            assertEquals("w.safetensors: no tensor named 'nope'", e.getMessage());
        }
    }

    @Test
    void readIntsRefusesValuesOutsideIntRange() throws IOException {
        Path p = dir.resolve("w.safetensors");
        SafetensorsFile.write(p, Map.of("ids", Data.i64(new int[] {2}, new long[] {1, 1L << 31})));
        try (SafetensorsFile r = SafetensorsFile.open(p)) {
            var e = assertThrows(CheckpointFormatException.class, () -> r.readInts("ids"));
            assertEquals("w.safetensors: tensor 'ids' element 1 = 2147483648: expected a value that fits an int", e.getMessage());
        }
    }

    @Test
    void fileShorterThanTheLengthFieldIsTruncated() throws IOException {
        Path p = dir.resolve("t.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertEquals("t.safetensors: file is 3 bytes: expected at least 8 (the u64 header length)", messageOf(p));
    }

    @Test
    void headerLengthPastTheEndIsRejectedBeforeAllocating() throws IOException {
        Path p = dir.resolve("t.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).putLong(0);
        Files.write(p, b.array());
        assertEquals("t.safetensors: header length 1099511627776 runs past the end of the file (16 bytes): expected at most 8", messageOf(p));
        b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).putLong(0);
        Files.write(p, b.array());
        assertTrue(messageOf(p).startsWith("t.safetensors: header length 18446744073709551615 runs past the end"));
    }

    @Test
    void invalidUtf8InTheHeaderIsAFormatError() throws IOException {
        byte[] h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".getBytes(StandardCharsets.UTF_8);
        h[2] = (byte) 0xFF; // the tensor name's first byte: 0xFF never occurs in UTF-8
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 4).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).putFloat(1f);
        Path p = dir.resolve("u.safetensors");
        Files.write(p, b.array());
        assertEquals("u.safetensors: header: invalid UTF-8: expected UTF-8 encoded JSON", messageOf(p));
    }

    @Test
    void malformedJsonHeaderIsAFormatError() throws IOException {
        assertTrue(messageOf(handMade("{\"a\": [1, 2", new byte[0])).startsWith("hand.safetensors: header: malformed JSON"));
        assertTrue(messageOf(handMade("[1, 2]", new byte[0])).startsWith("hand.safetensors: header: expected a JSON object"));
    }

    @Test
    void duplicateTensorNamesAreAFormatError() throws IOException {
        String e = "{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        assertTrue(messageOf(handMade("{\"a\":" + e + ",\"a\":" + e + "}", new byte[4])).contains("Duplicate field 'a'"));
    }

    @Test
    void unknownDtypeIsNamed() throws IOException {
        Path p = handMade("{\"a\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        assertTrue(messageOf(p).startsWith("hand.safetensors: tensor 'a' dtype = \"Q9\": expected one of [BOOL, U8,"), messageOf(p));
    }

    @Test
    void negativeDimensionIsRejected() throws IOException {
        Path p = handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1,4],\"data_offsets\":[0,4]}}", new byte[4]);
        assertEquals("hand.safetensors: tensor 'a' shape[0] = -1: expected an integer in [0, 2147483647]", messageOf(p));
    }

    @Test
    void shapeThatDisagreesWithTheByteLengthIsRejected() throws IOException {
        Path p = handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", new byte[12]);
        assertEquals("hand.safetensors: tensor 'a' data_offsets = [0, 12] spans 12 bytes: expected 16 for F32[2, 2]", messageOf(p));
    }

    @Test
    void absurdShapeOverflowIsRejected() throws IOException {
        Path p = handMade("{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", new byte[8]);
        assertEquals("hand.safetensors: tensor 'a' shape: size overflows 64 bits", messageOf(p));
    }

    @Test
    void dataPastTheEndIsRejected() throws IOException {
        Path p = handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);
        assertEquals("hand.safetensors: tensor 'a' data_offsets = [0, 16]: expected begin <= end <= 8 (the size of the data buffer)", messageOf(p));
    }

    @Test
    void overlappingTensorsAreRejected() throws IOException {
        Path p = handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]);
        assertEquals("hand.safetensors: tensor 'b' starts at 4 inside tensor 'a' (ending at 8): expected tensors not to overlap", messageOf(p));
    }
}
