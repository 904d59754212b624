package io.piece4j.tensor.spi;

/** A decoding weight matrix kept as float32: the baseline the packed types are measured against. */
public record F32Matrix(float[] values, int rows, int cols) implements PackedMatrix { // values (rows, cols)
    public F32Matrix {
        PackedMatrix.checkShape(rows, cols, values.length, "f32 matrix");
    }

    @Override public long byteSize() { return 4L * values.length; }

    @Override public void rowAsFloats(int r, float[] dst, int off) { System.arraycopy(values, r * cols, dst, off, cols); }

    @Override public String typeName() { return "f32"; }

    @Override public F32Matrix rows(int from, int count) {
        PackedMatrix.checkRows(from, count, rows, "f32 matrix");
        return new F32Matrix(java.util.Arrays.copyOfRange(values, from * cols, (from + count) * cols), count, cols);
    }
}
