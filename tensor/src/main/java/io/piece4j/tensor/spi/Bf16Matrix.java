package io.piece4j.tensor.spi;

/**
 * A decoding weight matrix in bfloat16: each value is the upper 16 bits of a float32 (8 exponent bits, 7 mantissa
 * bits), so widening back is a shift and exact; half the bytes of float32, which is what decoding, bound by
 * memory reads, pays for.
 */
public record Bf16Matrix(short[] bits, int rows, int cols) implements PackedMatrix { // bits (rows, cols)
    public Bf16Matrix {
        PackedMatrix.checkShape(rows, cols, bits.length, "bf16 matrix");
    }

    /** w (rows, cols) rounded to bfloat16, to nearest even. */
    public static Bf16Matrix rounded(float[] w, int rows, int cols) {
        short[] b = new short[w.length];
        for (int i = 0; i < w.length; i++) b[i] = toBf16(w[i]);
        return new Bf16Matrix(b, rows, cols);
    }

    /** float to bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN instead of rounding to infinity. */
    public static short toBf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        if (Float.isNaN(x)) return (short) ((bits >>> 16) | 0x0040);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** bfloat16 bits to float: exact. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    @Override public long byteSize() { return 2L * bits.length; }

    @Override public void rowAsFloats(int r, float[] dst, int off) {
        int base = r * cols;
        for (int j = 0; j < cols; j++) dst[off + j] = toFloat(bits[base + j]);
    }

    @Override public String typeName() { return "bf16"; }

    @Override public Bf16Matrix rows(int from, int count) {
        PackedMatrix.checkRows(from, count, rows, "bf16 matrix");
        return new Bf16Matrix(java.util.Arrays.copyOfRange(bits, from * cols, (from + count) * cols), count, cols);
    }
}
