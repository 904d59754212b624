package io.piece4j.tensor.spi;

/**
 * Registered in META-INF/services so {@link io.piece4j.tensor.Backends} can find a backend module on
 * the class path without the core depending on it.
 */
public interface BackendProvider {
    /** Short name used by -Dpiece.backend and PIECE_BACKEND, e.g. "ref", "simd", "opencl". */
    String name();

    /** Higher is preferred when no backend is asked for. ref is 0. */
    int priority();

    /** False when the backend cannot run here (no device, module missing); the reason comes from {@link #unavailableReason()}. */
    boolean isAvailable();

    default String unavailableReason() { return ""; }

    /** Creates a backend using the given number of worker threads (ignored by single-threaded backends). */
    Backend create(int threads);
}
