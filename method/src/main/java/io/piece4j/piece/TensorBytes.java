package io.piece4j.piece;

import io.piece4j.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Streams a tensor's first n numbers as little-endian float32 bytes, in chunks, without a copy of size n. */
public final class TensorBytes {
    private static final int CHUNK = 1 << 16;

    private TensorBytes() {}

    /** Receives bytes [0, length) of buf; buf is reused for the next chunk. */
    @FunctionalInterface
    public interface Sink {
        void accept(byte[] buf, int length) throws IOException;
    }

    public static void stream(Tensor t, long n, Sink sink) throws IOException {
        float[] floats = new float[CHUNK];
        ByteBuffer bytes = ByteBuffer.allocate(CHUNK * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long s = 0; s < n; s += CHUNK) {
            int len = (int) Math.min(CHUNK, n - s);
            t.backend().read(t.storage(), t.offset() + s, floats, 0, len);
            bytes.clear();
            bytes.asFloatBuffer().put(floats, 0, len);
            sink.accept(bytes.array(), len * Float.BYTES);
        }
    }
}
