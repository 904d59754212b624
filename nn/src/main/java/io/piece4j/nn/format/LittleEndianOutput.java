package io.piece4j.nn.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/** Buffered little-endian writes to a channel, counting the bytes written so writers can pad to alignments. */
final class LittleEndianOutput {
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private long written;

    LittleEndianOutput(FileChannel channel) {
        this.channel = channel;
    }

    /** Bytes written so far (buffered ones included). */
    long position() { return written + buffer.position(); }

    private void room(int bytes) throws IOException {
        if (buffer.remaining() < bytes) flush();
    }

    void u8(int v) throws IOException { room(1); buffer.put((byte) v); }

    void i16(short v) throws IOException { room(2); buffer.putShort(v); }

    void i32(int v) throws IOException { room(4); buffer.putInt(v); }

    void i64(long v) throws IOException { room(8); buffer.putLong(v); }

    // raw bits, so NaN payloads survive a round trip
    void f32(float v) throws IOException { room(4); buffer.putInt(Float.floatToRawIntBits(v)); }

    void f64(double v) throws IOException { room(8); buffer.putDouble(v); }

    void bytes(byte[] b) throws IOException {
        for (int off = 0; off < b.length; ) {
            if (!buffer.hasRemaining()) flush();
            int n = Math.min(buffer.remaining(), b.length - off);
            buffer.put(b, off, n);
            off += n;
        }
    }

    /** A GGUF string: u64 byte length, then UTF-8 bytes. */
    void ggufString(String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i64(b.length);
        bytes(b);
    }

    void zeros(long n) throws IOException {
        for (long i = 0; i < n; i++) u8(0);
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    void padTo(int alignment) throws IOException {
        zeros((alignment - position() % alignment) % alignment);
    }

    void flush() throws IOException {
        buffer.flip();
        written += buffer.remaining();
        while (buffer.hasRemaining()) channel.write(buffer);
        buffer.clear();
    }
}
