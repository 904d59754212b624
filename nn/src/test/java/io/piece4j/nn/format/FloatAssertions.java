package io.piece4j.nn.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise float comparisons whose failures say which element differed and by how much. */
final class FloatAssertions {
    private FloatAssertions() {}

    static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(String.format("%s: element %d is %s (bits 0x%08x), expected %s (bits 0x%08x), difference %s",
                        what, i, actual[i], Float.floatToRawIntBits(actual[i]), expected[i],
                        Float.floatToRawIntBits(expected[i]), actual[i] - expected[i]));
            }
        }
    }

    static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) actual[i] - expected[i]);
            if (!(diff <= tolerance)) {
                fail(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i] + ", off by " + diff
                        + " (tolerance " + tolerance + ")");
            }
        }
    }
}
