package io.piece4j.backend.opencl;

import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BackendProvider;

/**
 * Registers the OpenCL backend. It is available when the OpenCL library loads and offers at least one
 * device; otherwise {@link #unavailableReason()} says which of the two is missing, and tests skip it.
 * Priority: above simd on a GPU (it becomes the default there), below simd on a CPU device such as PoCL
 * (which runs the same kernels more slowly than the Vector API backend).
 */
public final class OpenClBackendProvider implements BackendProvider {
    private static volatile String reason;
    private static volatile OpenClDevice device;

    @Override public String name() { return "opencl"; }

    @Override
    public int priority() {
        return isAvailable() && device.isGpu() ? 20 : 5;
    }

    @Override public boolean isAvailable() { return unavailableReason().isEmpty(); }

    @Override
    public String unavailableReason() {
        String r = reason;
        if (r != null) return r;
        synchronized (OpenClBackendProvider.class) {
            if (reason != null) return reason;
            try {
                device = OpenClDevices.selected();
                reason = "";
            } catch (RuntimeException e) {
                reason = e.getMessage() == null ? e.toString() : e.getMessage();
            }
            return reason;
        }
    }

    @Override
    public Backend create(int threads) {
        String r = unavailableReason();
        if (!r.isEmpty()) throw new IllegalStateException("opencl backend unavailable: " + r);
        return new OpenClBackend();
    }
}
