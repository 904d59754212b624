package io.piece4j.nn.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Sequential little-endian reads from a mapped file, each checked against the end of the file first, so a
 * length field that points past the end is a CheckpointFormatException naming the field, never an
 * out-of-bounds access or a huge allocation.
 */
final class ByteCursor {
    private final MemorySegment data;
    private final Path file;
    private long position;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    ByteCursor(MemorySegment data, Path file, long position) {
        this.data = data;
        this.file = file;
        this.position = position;
    }

    long position() { return position; }

    long size() { return data.byteSize(); }

    long remaining() { return data.byteSize() - position; }

    Path file() { return file; }

    /** Fails unless {@code bytes} more bytes exist. */
    void need(long bytes, String field) throws CheckpointFormatException {
        if (bytes < 0 || bytes > remaining()) {
            throw CheckpointFormatException.in(file, field + ": needs " + Long.toUnsignedString(bytes) + " bytes at offset "
                    + position + " but the file ends at " + data.byteSize() + " (truncated or corrupt)");
        }
    }

    void skip(long bytes, String field) throws CheckpointFormatException {
        need(bytes, field);
        position += bytes;
    }

    int u8(String field) throws CheckpointFormatException {
        need(1, field);
        return data.get(ValueLayout.JAVA_BYTE, position++) & 0xFF;
    }

    int i32(String field) throws CheckpointFormatException {
        need(4, field);
        int v = data.get(LittleEndian.I32, position);
        position += 4;
        return v;
    }

    long u32(String field) throws CheckpointFormatException {
        return i32(field) & 0xFFFFFFFFL;
    }

    /** A u64 that must fit a signed long (lengths, counts, offsets: anything larger is past any file). */
    long u64(String field) throws CheckpointFormatException {
        long v = rawU64(field);
        if (v < 0) throw CheckpointFormatException.in(file, field + " = " + Long.toUnsignedString(v) + ": expected at most 2^63 - 1");
        return v;
    }

    /** A u64 bit pattern as read (values of 2^63 and more come back negative). */
    long rawU64(String field) throws CheckpointFormatException {
        need(8, field);
        long v = data.get(LittleEndian.I64, position);
        position += 8;
        return v;
    }

    float f32(String field) throws CheckpointFormatException {
        need(4, field);
        float v = data.get(LittleEndian.F32, position);
        position += 4;
        return v;
    }

    double f64(String field) throws CheckpointFormatException {
        need(8, field);
        double v = data.get(LittleEndian.F64, position);
        position += 8;
        return v;
    }

    /** {@code length} bytes of strict UTF-8. */
    String utf8(long length, String field) throws CheckpointFormatException {
        need(length, field);
        if (length > Integer.MAX_VALUE - 8) throw CheckpointFormatException.in(file, field + ": string of " + length + " bytes: expected under 2 GB");
        byte[] bytes = new byte[(int) length];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, position, bytes, 0, bytes.length);
        position += length;
        try {
            return utf8.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw CheckpointFormatException.in(file, field + ": invalid UTF-8: expected a UTF-8 string", e);
        }
    }
}
