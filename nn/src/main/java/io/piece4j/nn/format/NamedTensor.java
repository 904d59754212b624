package io.piece4j.nn.format;

import java.util.Arrays;

/** A tensor to write: canonical name, row-major shape and float32 values. */
public record NamedTensor(String name, int[] shape, float[] data) {
    public NamedTensor {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " has a negative size");
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " has " + n
                    + " elements but data has " + data.length);
        }
        shape = shape.clone();
    }

    @Override public int[] shape() { return shape.clone(); }

    @Override public String toString() { return name + Arrays.toString(shape); }
}
