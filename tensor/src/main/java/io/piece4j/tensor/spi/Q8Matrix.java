package io.piece4j.tensor.spi;

/**
 * A decoding weight matrix in GGUF's Q8_0: each row is cut into blocks of {@link #BLOCK} values along the columns;
 * a block holds 32 int8 values q and one scale d, and stands for d * q. The scale is kept here as a float32 whose
 * value is a binary16 (GGUF stores it as one), so a Q8_0 file and a matrix quantised here hold the same numbers.
 * Columns must be a multiple of 32, as GGUF requires of Q8_0 rows. 1.125 bytes per value instead of 4.
 */
public record Q8Matrix(byte[] quants, float[] scales, int rows, int cols) implements PackedMatrix {
    // quants (rows, cols); scales (rows, cols / 32): scales[b] belongs to quants[32 b .. 32 b + 32)

    public static final int BLOCK = 32;

    public Q8Matrix {
        PackedMatrix.checkShape(rows, cols, quants.length, "q8 matrix");
        checkColumns(cols);
        if (scales.length != quants.length / BLOCK) {
            throw new IllegalArgumentException("q8 matrix: " + scales.length + " scales for " + quants.length + " values: expected one per 32");
        }
    }

    /** Refuses a row length Q8_0 cannot hold. */
    public static void checkColumns(int cols) {
        if (cols % BLOCK != 0) {
            throw new IllegalArgumentException("q8 (Q8_0) needs rows of a multiple of " + BLOCK + " values, got " + cols + " columns");
        }
    }

    /**
     * w (rows, cols) quantised as ggml's reference Q8_0 quantiser does it, per block of 32: d = max|x| / 127,
     * q = round(x / d) with halves away from zero (computed as x * (1 / d) in float32; q = 0 when d = 0), and d
     * stored rounded to binary16.
     */
    public static Q8Matrix quantize(float[] w, int rows, int cols) {
        checkColumns(cols);
        PackedMatrix.checkShape(rows, cols, w.length, "q8 matrix");
        byte[] q = new byte[w.length];
        float[] d = new float[w.length / BLOCK];
        for (int b = 0; b < d.length; b++) d[b] = quantizeBlock(w, b * BLOCK, q, b * BLOCK);
        return new Q8Matrix(q, d, rows, cols);
    }

    /** Quantises x[from .. from + 32) into q[to ..]; returns the block's scale (a binary16 value). */
    public static float quantizeBlock(float[] x, int from, byte[] q, int to) {
        float max = 0;
        for (int j = 0; j < BLOCK; j++) max = Math.max(max, Math.abs(x[from + j]));
        float d = max / 127f;
        float inverse = d != 0 ? 1f / d : 0f;
        for (int j = 0; j < BLOCK; j++) {
            float v = x[from + j] * inverse;
            q[to + j] = (byte) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v); // C's roundf
        }
        return Float.float16ToFloat(Float.floatToFloat16(d));
    }

    @Override public long byteSize() { return quants.length + 4L * scales.length; }

    @Override public void rowAsFloats(int r, float[] dst, int off) {
        int base = r * cols;
        for (int j = 0; j < cols; j++) dst[off + j] = scales[(base + j) / BLOCK] * quants[base + j];
    }

    @Override public String typeName() { return "q8"; }

    @Override public Q8Matrix rows(int from, int count) {
        PackedMatrix.checkRows(from, count, rows, "q8 matrix");
        int blocks = cols / BLOCK;
        return new Q8Matrix(java.util.Arrays.copyOfRange(quants, from * cols, (from + count) * cols),
                java.util.Arrays.copyOfRange(scales, from * blocks, (from + count) * blocks), count, cols);
    }
}
