package io.piece4j.backend.simd;

import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BackendProvider;

/**
 * Registers the SIMD backend. It needs the incubating Vector API, which the JVM loads only when asked to;
 * this class checks for it without touching any Vector API type, so it can report why the backend is
 * missing instead of failing to load.
 */
public final class SimdBackendProvider implements BackendProvider {
    static final String VECTOR_MODULE = "jdk.incubator.vector";

    @Override public String name() { return "simd"; }

    @Override public int priority() { return 10; }

    @Override public boolean isAvailable() { return unavailableReason().isEmpty(); }

    @Override
    public String unavailableReason() {
        if (ModuleLayer.boot().findModule(VECTOR_MODULE).isEmpty()) {
            return "the Vector API module " + VECTOR_MODULE + " is not loaded; start the JVM with --add-modules " + VECTOR_MODULE;
        }
        try {
            Class.forName(VECTOR_MODULE + ".FloatVector");
            return "";
        } catch (ClassNotFoundException | LinkageError e) {
            return "the Vector API cannot be loaded (" + e + "); start the JVM with --add-modules " + VECTOR_MODULE;
        }
    }

    @Override
    public Backend create(int threads) {
        String reason = unavailableReason();
        if (!reason.isEmpty()) throw new IllegalStateException("simd backend unavailable: " + reason);
        return new SimdBackend(threads);
    }
}
