package io.piece4j.tensor;

import java.util.Arrays;

/** Shapes are plain int arrays; these are the few facts about them the rest of the code needs. */
public final class Shape {
    private Shape() {}

    public static long numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public static String str(int... shape) {
        return Arrays.toString(shape);
    }

    /** Product of the dimensions before axis. */
    public static int outer(int[] shape, int axis) {
        int n = 1;
        for (int i = 0; i < axis; i++) n *= shape[i];
        return n;
    }

    /** Product of the dimensions after axis. */
    public static int inner(int[] shape, int axis) {
        int n = 1;
        for (int i = axis + 1; i < shape.length; i++) n *= shape[i];
        return n;
    }

    public static int[] without(int[] shape, int axis) {
        int[] out = new int[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) if (i != axis) out[j++] = shape[i];
        return out;
    }

    public static int[] replaceLast(int[] shape, int last) {
        int[] out = shape.clone();
        out[out.length - 1] = last;
        return out;
    }
}
