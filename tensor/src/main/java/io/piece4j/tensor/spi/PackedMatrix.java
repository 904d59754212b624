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

    static void checkShape(int rows, int cols, long elements, String what) {
        if (rows < 1 || cols < 1) throw new IllegalArgumentException(what + ": shape (" + rows + ", " + cols + ") must be positive");
        if ((long) rows * cols != elements) {
            throw new IllegalArgumentException(what + ": " + elements + " values for shape (" + rows + ", " + cols + ")");
        }
    }
}
