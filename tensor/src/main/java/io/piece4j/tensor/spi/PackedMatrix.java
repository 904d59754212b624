package io.piece4j.tensor.spi;

/**
 * A weight matrix (rows, cols) held for decoding only, in a compact element type, and multiplied by float32
 * activations with float32 accumulation through {@link Backend#packedLinear}. Training never sees one: it keeps
 * the flat float32 parameter buffer. Rows are output features, columns input features (W of y = x W^T).
 */
public sealed interface PackedMatrix permits F32Matrix, Bf16Matrix, Q8Matrix {
    int rows();

    int cols();

    /** Bytes the matrix holds in memory (values and scales). */
    long byteSize();

    /** Row r as float32 into dst[off .. off + cols): exactly the values the products use. */
    void rowAsFloats(int r, float[] dst, int off);

    /** "f32", "bf16" or "q8". */
    String typeName();

    /** Rows from .. from + count as a matrix of their own, of the same type (a copy). */
    PackedMatrix rows(int from, int count);

    /**
     * The rows of parts, in order, as one matrix: decoding multiplies a token by wq, wk and wv (or w_gate and w_up) as
     * one product. The parts must share the element type and the column count.
     */
    static PackedMatrix stackRows(PackedMatrix... parts) {
        int cols = parts[0].cols(), rows = 0;
        for (PackedMatrix m : parts) {
            if (m.getClass() != parts[0].getClass() || m.cols() != cols) {
                throw new IllegalArgumentException("stackRows: a " + m.typeName() + " matrix (" + m.rows() + ", " + m.cols() + ") after a "
                        + parts[0].typeName() + " one with " + cols + " columns: expected the same type and columns");
            }
            rows += m.rows();
        }
        long values = (long) rows * cols;
        if (values > Integer.MAX_VALUE) throw new IllegalArgumentException("stackRows: " + values + " values do not fit one array");
        return switch (parts[0]) {
            case F32Matrix f -> {
                float[] v = new float[(int) values];
                int at = 0;
                for (PackedMatrix m : parts) {
                    float[] src = ((F32Matrix) m).values();
                    System.arraycopy(src, 0, v, at, src.length);
                    at += src.length;
                }
                yield new F32Matrix(v, rows, cols);
            }
            case Bf16Matrix b -> {
                short[] v = new short[(int) values];
                int at = 0;
                for (PackedMatrix m : parts) {
                    short[] src = ((Bf16Matrix) m).bits();
                    System.arraycopy(src, 0, v, at, src.length);
                    at += src.length;
                }
                yield new Bf16Matrix(v, rows, cols);
            }
            case Q8Matrix q -> {
                byte[] v = new byte[(int) values];
                float[] d = new float[(int) (values / Q8Matrix.BLOCK)];
                int at = 0, scalesAt = 0;
                for (PackedMatrix m : parts) {
                    Q8Matrix q8 = (Q8Matrix) m;
                    System.arraycopy(q8.quants(), 0, v, at, q8.quants().length);
                    System.arraycopy(q8.scales(), 0, d, scalesAt, q8.scales().length);
                    at += q8.quants().length;
                    scalesAt += q8.scales().length;
                }
                yield new Q8Matrix(v, d, rows, cols);
            }
        };
    }

    /** Refuses a row range outside (0, rows). */
    static void checkRows(int from, int count, int rows, String what) {
        if (from < 0 || count < 1 || from + count > rows) {
            throw new IllegalArgumentException(what + ": rows " + from + " .. " + (from + count) + " outside 0 .. " + rows);
        }
    }

    static void checkShape(int rows, int cols, long elements, String what) {
        if (rows < 1 || cols < 1) throw new IllegalArgumentException(what + ": shape (" + rows + ", " + cols + ") must be positive");
        if ((long) rows * cols != elements) {
            throw new IllegalArgumentException(what + ": " + elements + " values for shape (" + rows + ", " + cols + ")");
        }
    }
}
