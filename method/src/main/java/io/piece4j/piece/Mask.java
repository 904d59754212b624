package io.piece4j.piece;

import java.util.Arrays;

/**
 * The parameters one task may change: sorted flat indices into the model's parameter layout, and how
 * they were chosen (for the mask file and the run record).
 *
 * @param indices        ascending flat indices, k of them
 * @param parameterCount P of the model the mask belongs to (all parameters, embeddings included)
 * @param eligibleCount  how many parameters could be selected (all but the input embeddings)
 * @param ratio          r; k = max(1, floor(r * eligibleCount))
 * @param estimator      how the scores were computed ("piece-f", "piece-s", "full", ...)
 * @param task           the task whose data scored the parameters
 * @param modelHash      fingerprint of the parameters the scores were computed on
 * @param batches        batches in the importance pass
 * @param batchSize      examples per importance batch (matters for PIECE-S through the +1)
 */
public record Mask(int[] indices, long parameterCount, long eligibleCount, double ratio, String estimator, String task,
                   String modelHash, int batches, int batchSize) {

    public Mask {
        for (int i = 1; i < indices.length; i++) {
            if (indices[i] <= indices[i - 1]) throw new IllegalArgumentException("mask indices must be strictly ascending (at " + i + ")");
        }
        if (indices.length > 0 && (indices[0] < 0 || indices[indices.length - 1] >= parameterCount)) {
            throw new IllegalArgumentException("mask indices outside [0, " + parameterCount + ")");
        }
    }

    /** k = max(1, floor(r * P)) with P the number of eligible parameters, as in the paper. */
    public static int budget(double ratio, long eligible) {
        if (!(ratio > 0 && ratio <= 1)) throw new IllegalArgumentException("ratio must be in (0, 1], got " + ratio);
        return (int) Math.max(1, Math.min(eligible, (long) Math.floor(ratio * eligible)));
    }

    public int size() { return indices.length; }

    public boolean contains(int flatIndex) { return Arrays.binarySearch(indices, flatIndex) >= 0; }

    /** |A intersect B| / |A union B| of two masks' index sets. */
    public static double jaccard(Mask a, Mask b) {
        int i = 0, j = 0, inter = 0;
        int[] x = a.indices, y = b.indices;
        while (i < x.length && j < y.length) {
            if (x[i] == y[j]) { inter++; i++; j++; }
            else if (x[i] < y[j]) i++;
            else j++;
        }
        int union = x.length + y.length - inter;
        return union == 0 ? 1.0 : (double) inter / union;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mask m && Arrays.equals(indices, m.indices) && parameterCount == m.parameterCount
                && eligibleCount == m.eligibleCount && Double.compare(ratio, m.ratio) == 0 && estimator.equals(m.estimator)
                && task.equals(m.task) && modelHash.equals(m.modelHash) && batches == m.batches && batchSize == m.batchSize;
    }

    @Override
    public int hashCode() { return Arrays.hashCode(indices) * 31 + modelHash.hashCode(); }

    @Override
    public String toString() {
        return "Mask[k=" + indices.length + " of P=" + parameterCount + ", " + estimator + ", task " + task + "]";
    }
}
