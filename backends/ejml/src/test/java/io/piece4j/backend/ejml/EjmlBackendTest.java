package io.piece4j.backend.ejml;

import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.Storage;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EJML's products where the model puts them: operands that are views at an offset inside a larger
 * storage (every weight lives in the flat parameter buffer), outputs at an offset, accumulation, a
 * shared B across a batch. The conformance suite in tests/ covers the rest; here the reference backend
 * is the control. Tolerance: 1e-5 * sqrt(k) * max(1, max |ref|).
 */
class EjmlBackendTest {
    private static final Backend REF = new RefBackend();

    /** A (rows * cols) tensor at offset `pad` inside a storage with `pad` extra elements on each side, filled from rng. */
    private static Tensor paddedView(Backend be, float[] values, int pad, int... shape) {
        Storage s = be.allocate(values.length + 2L * pad);
        be.fill(s, 0, values.length + 2L * pad, 99f); // neighbours that must never leak into a product
        be.write(s, pad, values, 0, values.length);
        return Tensor.view(s, pad, shape);
    }

    private static float[] random(Rng rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 2 * rng.nextFloat() - 1;
        return v;
    }

    private static void assertClose(String what, float[] want, float[] got, int k) {
        double scale = 1;
        for (float w : want) scale = Math.max(scale, Math.abs(w));
        double tol = 1e-5 * Math.sqrt(k) * scale, worst = 0;
        int at = -1;
        for (int i = 0; i < want.length; i++) {
            double d = Math.abs(want[i] - got[i]);
            if (!(d <= worst)) { worst = d; at = i; }
        }
        assertTrue(worst <= tol, what + ": element " + at + " differs from ref by " + worst + " (tolerance " + tol + ")");
    }

    @Test
    void productsOfOffsetViewsMatchTheReferenceInEveryLayoutWithAndWithoutAccumulation() {
        Rng rng = new Rng(11);
        int m = 19, n = 37, k = 23, pad = 5;
        try (Backend ejml = new EjmlBackend(2)) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (boolean acc : new boolean[] {false, true}) {
                        float[] a = random(rng, m * k), b = random(rng, k * n), c = random(rng, m * n);
                        Tensor ea = paddedView(ejml, a, pad, m * k), eb = paddedView(ejml, b, pad + 3, k * n),
                                ec = paddedView(ejml, c, pad + 1, m * n);
                        Tensor ra = Tensor.of(REF, a, m * k), rb = Tensor.of(REF, b, k * n), rc = Tensor.of(REF, c, m * n);
                        ejml.matmul(ea, ta, eb, tb, ec, 1, m, n, k, 0, acc);
                        REF.matmul(ra, ta, rb, tb, rc, 1, m, n, k, 0, acc);
                        String what = "ta=" + ta + " tb=" + tb + " acc=" + acc;
                        assertClose(what, rc.toArray(), ec.toArray(), k);
                        float[] around = new float[2 * (pad + 1) + m * n];
                        ejml.read(ec.storage(), 0, around, 0, around.length);
                        for (int i = 0; i < pad + 1; i++) {
                            assertEquals(99f, around[i], what + ": element before the output view was written");
                            assertEquals(99f, around[around.length - 1 - i], what + ": element after the output view was written");
                        }
                    }
                }
            }
        }
    }

    @Test
    void batchedProductWithASharedRightOperandMatchesTheReference() {
        Rng rng = new Rng(12);
        int batch = 3, m = 5, n = 33, k = 7;
        float[] a = random(rng, batch * m * k), b = random(rng, k * n);
        try (Backend ejml = new EjmlBackend(2)) {
            Tensor ea = paddedView(ejml, a, 4, batch * m * k), eb = paddedView(ejml, b, 2, k * n), ec = Tensor.zeros(ejml, batch * m * n);
            Tensor rc = Tensor.zeros(REF, batch * m * n);
            ejml.matmul(ea, false, eb, false, ec, batch, m, n, k, 0, false);
            REF.matmul(Tensor.of(REF, a, batch * m * k), false, Tensor.of(REF, b, k * n), false, rc, batch, m, n, k, 0, false);
            assertClose("batch of 3 with strideB = 0", rc.toArray(), ec.toArray(), k);
        }
    }

    @Test
    void anEmptyReductionGivesZerosOrLeavesTheAccumulatorAlone() {
        try (Backend ejml = new EjmlBackend(1)) {
            Tensor a = Tensor.zeros(ejml, 0), b = Tensor.zeros(ejml, 0), c = Tensor.full(ejml, 3f, 2 * 4);
            ejml.matmul(a, false, b, false, c, 1, 2, 4, 0, 0, true);
            assertEquals(3f, c.toArray()[7], "k = 0 with accumulation leaves C as it was");
            ejml.matmul(a, false, b, false, c, 1, 2, 4, 0, 0, false);
            assertEquals(0f, c.toArray()[7], "k = 0 without accumulation gives C = 0");
        }
    }

    @Test
    void isFoundByNameButNeverPreferredOverSimdOrChosenByDefaultOverRef() {
        try (Backend be = Backends.create("ejml", 2)) {
            assertEquals("ejml", be.name());
            assertEquals(2, be.threads());
            assertTrue(be.description().startsWith("ejml (EJML 0."), "description names EJML and its version: " + be.description());
        }
        var provider = Backends.providers().stream().filter(p -> p.name().equals("ejml")).findFirst().orElseThrow();
        assertTrue(provider.priority() > 0 && provider.priority() < 10, "ejml ranks above ref (0) and below simd (10): " + provider.priority());
    }
}
