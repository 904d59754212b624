package io.piece4j.backend.simd;

import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static io.piece4j.backend.simd.KernelCheck.check;
import static io.piece4j.backend.simd.KernelCheck.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the rest of the project sees of the SIMD backend: discovery, identity, storage rules, batched matmul. */
class SimdBackendTest {
    @Test
    void aLargeFillRunsOnAllThreadsAndWritesExactlyItsRange() {
        // above PARALLEL_FILL, with an offset and a length that are no multiple of a stretch
        int n = (int) SimdBackend.PARALLEL_FILL * 2 + 12_345, offset = 777, length = n - 2 * offset;
        try (SimdBackend be = new SimdBackend(3)) {
            Tensor t = Tensor.full(be, 5f, n);
            be.fill(t.storage(), offset, length, -2.5f);
            float[] v = t.toArray();
            for (int i = 0; i < n; i++) {
                float want = i >= offset && i < offset + length ? -2.5f : 5f;
                if (v[i] != want) throw new AssertionError("element " + i + ": " + v[i] + ", expected " + want);
            }
            assertThrows(RuntimeException.class, () -> be.fill(t.storage(), 1, n, 0f), "a range past the storage must be refused");
        }
    }


    @Test
    void isFoundByServiceLoaderAndPreferredOverTheReference() {
        SimdBackendProvider provider = Backends.providers().stream().filter(p -> p.name().equals("simd"))
                .map(SimdBackendProvider.class::cast).findFirst()
                .orElseThrow(() -> new AssertionError("no simd provider among " + Backends.describe(Backends.providers())));
        assertTrue(provider.isAvailable(), "simd unavailable although the test JVM loads the Vector API: " + provider.unavailableReason());
        assertEquals("", provider.unavailableReason());
        assertEquals(10, provider.priority());
        try (Backend b = Backends.create(null, 2)) {
            assertEquals("simd", b.name(), "the best available backend");
            assertEquals(2, b.threads());
        }
    }

    @Test
    void describesItsLanesAndThreads() {
        try (SimdBackend b = new SimdBackend(3)) {
            String expected = "simd (Vector API, " + SimdSpecies.FLOAT.length() + " float32 lanes of "
                    + SimdSpecies.FLOAT.vectorBitSize() + " bits, 3 threads)";
            assertEquals(expected, b.description());
            assertEquals(Precision.FLOAT32, b.precision());
        }
    }

    @Test
    void rejectsAThreadCountBelowOne() {
        var e = assertThrows(IllegalArgumentException.class, () -> new SimdBackend(0));
        assertTrue(e.getMessage().contains("threads"), e.getMessage());
    }

    @Test
    void rejectsTensorsOfAnotherBackend() {
        RefBackend ref = new RefBackend();
        SimdBackend simd = KernelCheck.simd(1);
        Tensor foreign = Tensor.zeros(ref, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> simd.addScaled(Tensor.zeros(simd, 4), foreign, 1f));
        assertTrue(e.getMessage().contains("belongs to ref"), e.getMessage());
    }

    static Stream<Arguments> matmulCases() {
        return Stream.of(false, true).flatMap(ta -> Stream.of(false, true).flatMap(tb -> Stream.of(false, true)
                .flatMap(shared -> Stream.of(false, true).map(acc -> Arguments.of(ta, tb, shared, acc)))));
    }

    /** The backend loops over the batch and hands each product to SimdMatmul; B may be shared (strideB 0). */
    @ParameterizedTest(name = "transA {0} transB {1} shared B {2} accumulate {3}")
    @MethodSource("matmulCases")
    void batchedMatmulMatchesReference(boolean transA, boolean transB, boolean sharedB, boolean accumulate) {
        int batch = 3, m = 7, n = 33, k = 65;
        Random rng = new Random((transA ? 8 : 0) + (transB ? 4 : 0) + (sharedB ? 2 : 0) + (accumulate ? 1 : 0));
        float[] a = gaussian(rng, batch * m * k, 1), b = gaussian(rng, (sharedB ? 1 : batch) * k * n, 1);
        float[] c = gaussian(rng, batch * m * n, 1);
        long strideB = sharedB ? 0 : (long) k * n;
        // each element is a sum of 65 products; scale-relative tolerance as for the other kernels
        check("matmul transA " + transA + " transB " + transB + " shared B " + sharedB + " accumulate " + accumulate,
                t -> t.backend.matmul(t.in(a, a.length), transA, t.in(b, b.length), transB, t.out("c", c, c.length),
                        batch, m, n, k, strideB, accumulate));
    }
}
