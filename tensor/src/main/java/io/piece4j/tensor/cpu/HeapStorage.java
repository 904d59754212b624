package io.piece4j.tensor.cpu;

import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.Storage;

/** Storage of the CPU backends: one Java array (so at most 2^31 - 1 elements per storage). */
public final class HeapStorage implements Storage {
    private final Backend backend;
    private final Buf buf;

    HeapStorage(Backend backend, Buf buf) {
        this.backend = backend;
        this.buf = buf;
    }

    @Override public Backend backend() { return backend; }
    @Override public long size() { return buf.length(); }

    /** The numbers, for the owning backend's kernels only. */
    public Buf buf() { return buf; }

    /** The float32 array, for the owning backend's vectorised kernels; fails on a float64 storage. */
    public float[] floats() {
        if (buf instanceof Buf.F32 f) return f.a;
        throw new IllegalStateException("float64 storage has no float[]");
    }
}
