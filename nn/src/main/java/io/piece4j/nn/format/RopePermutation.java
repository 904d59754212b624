package io.piece4j.nn.format;

/**
 * Reorders the rows of wq or wk between the two RoPE layouts. Within each head of hd rows, HALF_SPLIT rotates
 * row i with row hd/2 + i, INTERLEAVED rotates row 2i with row 2i + 1; so HALF_SPLIT row i becomes INTERLEAVED
 * row 2i and HALF_SPLIT row hd/2 + i becomes INTERLEAVED row 2i + 1. This is the permutation llama.cpp's
 * converter applies to Hugging Face weights, and its inverse the one Hugging Face applies to Meta's.
 */
public final class RopePermutation {
    private RopePermutation() {}

    /** @param w (rows, cols) row-major with rows = heads * headDim; returns a new array */
    public static float[] halfSplitToInterleaved(float[] w, int rows, int cols, int heads) {
        return permute(w, rows, cols, heads, true);
    }

    /** The inverse of {@link #halfSplitToInterleaved}. */
    public static float[] interleavedToHalfSplit(float[] w, int rows, int cols, int heads) {
        return permute(w, rows, cols, heads, false);
    }

    private static float[] permute(float[] w, int rows, int cols, int heads, boolean toInterleaved) {
        if (heads <= 0 || rows % heads != 0 || (rows / heads) % 2 != 0) {
            throw new IllegalArgumentException(rows + " rows in " + heads + " heads: expected an even number of rows per head");
        }
        if ((long) rows * cols != w.length) {
            throw new IllegalArgumentException("(" + rows + ", " + cols + ") is " + (long) rows * cols + " elements, the array has " + w.length);
        }
        int hd = rows / heads, half = hd / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int part = 0; part < 2; part++) {
                    int halfSplitRow = h * hd + part * half + i;
                    int interleavedRow = h * hd + 2 * i + part;
                    int from = toInterleaved ? halfSplitRow : interleavedRow;
                    int to = toInterleaved ? interleavedRow : halfSplitRow;
                    System.arraycopy(w, from * cols, out, to * cols, cols);
                }
            }
        }
        return out;
    }
}
