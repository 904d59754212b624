package io.piece4j.bench;

import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/** C (n, n) = A (n, n) @ B (n, n) through the backend SPI, the way the model calls it. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class MatmulBenchmark {
    @Param({"simd", "ref"}) public String backend;
    @Param({"256", "512", "1024"}) public int size;
    @Param({"2"}) public int threads;
    /** "nn" plain, "nt" B transposed (x @ W^T, the linear layer), "tn" A transposed (weight gradient). */
    @Param({"nn"}) public String layout;

    private Backend be;
    private Tensor a, b, c;
    private final float[] firstElement = new float[1];

    @Setup(Level.Trial)
    public void setUp() {
        be = Backends.create(backend, threads);
        Rng rng = new Rng(42);
        a = Tensor.randn(be, rng, 1f, size, size);
        b = Tensor.randn(be, rng, 1f, size, size);
        c = Tensor.zeros(be, size, size);
    }

    @TearDown(Level.Trial)
    public void tearDown() { be.close(); }

    /**
     * One product, finished: reading one element of C back waits for a device backend's queue (its kernels
     * run asynchronously), and costs a copy of one float on the CPU backends.
     */
    @Benchmark
    public float matmul() {
        be.matmul(a, layout.charAt(0) == 't', b, layout.charAt(1) == 't', c, 1, size, size, size, 0, false);
        be.read(c.storage(), c.offset(), firstElement, 0, 1);
        return firstElement[0];
    }
}
