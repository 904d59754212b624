package io.piece4j.tensor.cpu;

import io.piece4j.tensor.spi.Precision;

/**
 * The ground truth: every kernel is a plain loop of {@link CpuKernels}, single-threaded, accumulating in
 * double. Float32 storage by default; {@link #float64()} keeps everything in double for finite-difference
 * gradient checks.
 */
public final class RefBackend extends CpuBackend {
    public RefBackend() { super("ref", Precision.FLOAT32); }

    private RefBackend(String name, Precision precision) { super(name, precision); }

    /** A reference backend with float64 storage (name "ref64"), for gradient checks. */
    public static RefBackend float64() { return new RefBackend("ref64", Precision.FLOAT64); }
}
