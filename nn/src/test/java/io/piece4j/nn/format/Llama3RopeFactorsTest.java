package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig.RopeScaling;
import org.junit.jupiter.api.Test;

import static io.piece4j.nn.format.FloatAssertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class Llama3RopeFactorsTest {
    @Test
    void divisorsByHand() {
        // theta 10000, head 8: frequencies 1, 0.1, 0.01, 0.001, wavelengths 2pi, 20pi, 200pi, 2000pi.
        // L = 1000, lo = 1, hi = 4: unscaled below 250, scaled by 8 above 1000; 200pi is in the band with
        // s = (1000 / 200pi - 1) / 3 = 0.19718314 and divisor 1 / ((1 - s) / 8 + s) = 3.3609463
        float[] r = Llama3RopeFactors.of(new RopeScaling(8, 1, 4, 1000), 8, 10000f);
        assertClose(new float[] {1, 1, 3.3609463f, 8}, r, 1e-6, "divisors");
    }

    /** The divisors GGUF files get, against llama.cpp's converter formula (nn/src/test/resources/rope/make_llama3_rope.py). */
    @Test
    void divisorsEqualLlamaCppsRopeFreqsForLlama31And32() throws java.io.IOException {
        String text;
        try (var in = getClass().getResourceAsStream("/rope/llama3_rope.txt")) {
            text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        }
        String[] lines = text.split("\n");
        int cases = 0;
        for (int i = 0; i + 2 < lines.length; i += 3, cases++) {
            String[] c = lines[i].split(" "), want = lines[i + 2].split(" ");
            RopeScaling s = new RopeScaling(Float.parseFloat(c[4]), Float.parseFloat(c[5]), Float.parseFloat(c[6]), Integer.parseInt(c[7]));
            float[] got = Llama3RopeFactors.of(s, Integer.parseInt(c[2]), Float.parseFloat(c[3]));
            float[] expected = new float[want.length - 1];
            for (int j = 0; j < expected.length; j++) expected[j] = (float) Double.parseDouble(want[j + 1]);
            assertClose(expected, got, 1e-6 * s.factor(), c[1] + " divisors");
        }
        assertEquals(3, cases);
    }

    @Test
    void llama32ScalingIsRecoveredFromItsDivisors() {
        RopeScaling llama32 = new RopeScaling(32, 1, 4, 8192);
        float[] divisors = Llama3RopeFactors.of(llama32, 64, 500000f);
        RopeScaling fitted = Llama3RopeFactors.fit(divisors, 64, 500000f);
        assertEquals(32f, fitted.factor());
        // L is not stored; only L/lo and L/hi matter, and with L = 8192 they are Llama 3.2's own
        assertEquals(1f, fitted.lowFreqFactor(), 1e-3);
        assertEquals(4f, fitted.highFreqFactor(), 1e-3);
        assertClose(divisors, Llama3RopeFactors.of(fitted, 64, 500000f), 32e-4, "refitted divisors");
    }

    @Test
    void divisorsWithoutPointsInsideTheBandAreStillReproduced() {
        float[] divisors = {1, 1, 8, 8};
        RopeScaling fitted = Llama3RopeFactors.fit(divisors, 8, 10000f);
        assertClose(divisors, Llama3RopeFactors.of(fitted, 8, 10000f), 8e-4, "refitted divisors of " + fitted);
    }

    @Test
    void allOnesMeansNoScaling() {
        assertNull(Llama3RopeFactors.fit(new float[] {1, 1, 1, 1}, 8, 10000f));
    }

    @Test
    void divisorsNoLlama3ScalingGivesAreRefused() {
        // scaled at the short wavelength end, unscaled at the long end: the reverse of Llama 3
        var e = assertThrows(IllegalArgumentException.class, () -> Llama3RopeFactors.fit(new float[] {8, 3, 1, 1}, 8, 10000f));
        assertEquals("no Llama 3 scaling (factor 8.0) reproduces the divisors", e.getMessage());
    }
}
