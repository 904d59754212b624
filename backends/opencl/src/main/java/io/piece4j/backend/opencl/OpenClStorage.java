package io.piece4j.backend.opencl;

import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.Storage;

import java.lang.foreign.MemorySegment;

/**
 * A device buffer of float32 elements. Its numbers stay on the device; the host sees them only through
 * {@link Backend#read} (a transfer the backend counts). When the storage becomes unreachable its buffer
 * goes back to the backend's {@link DeviceMemory} for reuse.
 */
final class OpenClStorage implements Storage {
    private final OpenClBackend backend;
    private final long elements;
    private final MemorySegment mem;

    OpenClStorage(OpenClBackend backend, long elements, MemorySegment mem) {
        this.backend = backend;
        this.elements = elements;
        this.mem = mem;
    }

    @Override public Backend backend() { return backend; }
    @Override public long size() { return elements; }

    /** The cl_mem handle. */
    MemorySegment mem() { return mem; }
}
