package io.piece4j.distributed;

import io.piece4j.tensor.Tensor;

/** Reads and writes a flat buffer at a mask's ascending indices, one backend call per run of consecutive indices. */
final class MaskedCoordinates {
    private MaskedCoordinates() {}

    /** (k) t[idx[j]] */
    static float[] gather(Tensor t, int[] idx) {
        float[] out = new float[idx.length];
        for (int j = 0; j < idx.length; ) {
            int end = runEnd(idx, j);
            t.backend().read(t.storage(), t.offset() + idx[j], out, j, end - j);
            j = end;
        }
        return out;
    }

    /** t[idx[j]] = values[j] */
    static void scatter(Tensor t, int[] idx, float[] values) {
        if (values.length != idx.length) throw new IllegalArgumentException(values.length + " values for " + idx.length + " indices");
        for (int j = 0; j < idx.length; ) {
            int end = runEnd(idx, j);
            t.backend().write(t.storage(), t.offset() + idx[j], values, j, end - j);
            j = end;
        }
    }

    /** The end (exclusive) of the run of consecutive indices starting at j. */
    private static int runEnd(int[] idx, int j) {
        int end = j + 1;
        while (end < idx.length && idx[end] == idx[end - 1] + 1) end++;
        return end;
    }
}
