package io.piece4j.tensor.spi;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packed decoding types hold the numbers GGUF's definitions give, checked against values worked out by hand. */
class PackedMatrixTest {

    /** One row of three blocks whose quantisation is worked out below by hand. */
    private static float[] threeBlocks() {
        float[] x = new float[96];
        // block 0: max |x| = 127, so d = 127 / 127 = 1 (exact in binary16) and q = round(x) with halves away from zero
        Arrays.fill(x, 0, 32, 1.25f);                   // -> 1
        x[0] = 127f;                                    // -> 127
        x[1] = -63.5f;                                  // -> -64 (half away from zero)
        x[2] = 2.5f;                                    // -> 3
        x[3] = -2.5f;                                   // -> -3
        x[4] = 0.49f;                                   // -> 0
        x[5] = 126.6f;                                  // -> 127
        x[6] = -127f;                                   // -> -127
        // block 1: all zero: d = 0 and every q = 0
        // block 2: max |x| = 0.1, d = 0.1 / 127 = 7.874e-4, stored as binary16: 2^-11 * (1 + 627 / 1024)
        x[64] = -0.1f;                                  // -> -127
        x[65] = 0.03f;                                  // 0.03 / 7.874e-4 = 38.1 -> 38
        x[66] = 0.0004f;                                // 0.508 -> 1
        return x;
    }

    @Test
    void q8QuantiserMatchesAHandComputationOfThreeBlocks() {
        Q8Matrix m = Q8Matrix.quantize(threeBlocks(), 1, 96);
        byte[] expected = new byte[96];
        Arrays.fill(expected, 0, 32, (byte) 1);
        expected[0] = 127;
        expected[1] = -64;
        expected[2] = 3;
        expected[3] = -3;
        expected[4] = 0;
        expected[5] = 127;
        expected[6] = -127;
        expected[64] = -127;
        expected[65] = 38;
        expected[66] = 1;
        assertArrayEquals(expected, m.quants(), "int8 values");
        float d2 = (float) ((1 + 627 / 1024.0) * Math.pow(2, -11));
        assertArrayEquals(new float[] {1f, 0f, d2}, m.scales(), "block scales (binary16 values)");
        assertEquals(96 + 3 * 4, m.byteSize(), "1 byte per value and a float32 scale per block");
        float[] row = new float[96];
        m.rowAsFloats(0, row, 0);
        assertEquals(-64f, row[1]);
        assertEquals(38 * d2, row[65]);
    }

    @Test
    void referenceProductOfAQ8RowIsTheScaledSumOfItsIntegers() {
        Q8Matrix m = Q8Matrix.quantize(threeBlocks(), 1, 96);
        float[] ones = new float[96];
        Arrays.fill(ones, 1f);
        float[] y = new float[1];
        PackedKernels.linear(m, ones, 0, y, 0, 1);
        // block 0: 127 - 64 + 3 - 3 + 0 + 127 - 127 + 25 ones = 88; block 1: 0; block 2: d2 * (-127 + 38 + 1)
        double d2 = (1 + 627 / 1024.0) * Math.pow(2, -11);
        assertEquals((float) (88 + d2 * -88), y[0], 0f);
    }

    @Test
    void bfloat16RoundsToNearestEvenAndWidensExactly() {
        float tieDown = Float.intBitsToFloat(0x3F808000); // 1 + 2^-8: halfway between 1 and 1 + 2^-7, rounds to the even 1
        float tieUp = Float.intBitsToFloat(0x3F818000);   // 1 + 3 * 2^-8: halfway, rounds to the even 1 + 2^-6
        float above = Float.intBitsToFloat(0x3F808001);   // just above the first tie: rounds up
        Bf16Matrix m = Bf16Matrix.rounded(new float[] {tieDown, tieUp, above, -2.5f}, 2, 2);
        assertArrayEquals(new short[] {0x3F80, 0x3F82, 0x3F81, (short) 0xC020}, m.bits());
        float[] row = new float[2];
        m.rowAsFloats(0, row, 0);
        assertArrayEquals(new float[] {1f, 1f + 1f / 64}, row);
        float[] x = {2f, 4f}, y = new float[2];
        PackedKernels.linear(m, x, 0, y, 0, 1);
        assertArrayEquals(new float[] {2f + 4f * (1f + 1f / 64), 2f * (1f + 1f / 128) + 4f * -2.5f}, y);
    }

    @Test
    void shapesThatDoNotMatchTheValuesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new F32Matrix(new float[6], 2, 4));
        assertThrows(IllegalArgumentException.class, () -> new Bf16Matrix(new short[6], 0, 6));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Q8Matrix(new byte[64], new float[1], 1, 64));
        assertTrue(e.getMessage().contains("1 scales for 64 values"), e.getMessage());
    }

    /** Rows of three matrices of each type, stacked, give every part's rows back, value for value and in order. */
    @Test
    void stackedRowsHoldEveryPartsRowsInOrderAndRowsCutThemBackOut() {
        float[] a = new float[2 * 64], b = new float[3 * 64], c = new float[1 * 64];
        for (int i = 0; i < a.length; i++) a[i] = (float) Math.sin(i) * 3f;
        for (int i = 0; i < b.length; i++) b[i] = (float) Math.cos(i * 0.7) * 0.01f;
        for (int i = 0; i < c.length; i++) c[i] = i - 31.5f;
        PackedMatrix[][] typed = {
                {new F32Matrix(a, 2, 64), new F32Matrix(b, 3, 64), new F32Matrix(c, 1, 64)},
                {Bf16Matrix.rounded(a, 2, 64), Bf16Matrix.rounded(b, 3, 64), Bf16Matrix.rounded(c, 1, 64)},
                {Q8Matrix.quantize(a, 2, 64), Q8Matrix.quantize(b, 3, 64), Q8Matrix.quantize(c, 1, 64)}};
        for (PackedMatrix[] parts : typed) {
            PackedMatrix all = PackedMatrix.stackRows(parts);
            String type = parts[0].typeName();
            assertEquals(parts[0].getClass(), all.getClass(), type);
            assertEquals(6, all.rows(), type + " rows");
            assertEquals(64, all.cols(), type + " cols");
            assertEquals(parts[0].byteSize() + parts[1].byteSize() + parts[2].byteSize(), all.byteSize(), type + " bytes");
            float[] expected = new float[64], actual = new float[64];
            int row = 0;
            for (PackedMatrix part : parts) {
                PackedMatrix back = all.rows(row, part.rows());
                assertEquals(part.rows(), back.rows(), type);
                for (int r = 0; r < part.rows(); r++, row++) {
                    part.rowAsFloats(r, expected, 0);
                    all.rowAsFloats(row, actual, 0);
                    assertArrayEquals(expected, actual, type + " stacked row " + row);
                    back.rowAsFloats(r, actual, 0);
                    assertArrayEquals(expected, actual, type + " row " + r + " cut back out");
                }
            }
        }
    }

    @Test
    void stackingRefusesMixedTypesOrWidthsAndRowsRefusesARangeOutside() {
        float[] v = new float[64];
        var e = assertThrows(IllegalArgumentException.class,
                () -> PackedMatrix.stackRows(new F32Matrix(v, 1, 64), Bf16Matrix.rounded(v, 1, 64)));
        assertTrue(e.getMessage().contains("expected the same type and columns"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PackedMatrix.stackRows(new F32Matrix(v, 1, 64), new F32Matrix(v, 2, 32)));
        var r = assertThrows(IllegalArgumentException.class, () -> Q8Matrix.quantize(v, 2, 32).rows(1, 2));
        assertTrue(r.getMessage().contains("rows 1 .. 3 outside 0 .. 2"), r.getMessage());
    }
}
