package io.piece4j.piece.continual.methods;

/**
 * MIGU's choice for one linear layer y = x W^T (Du et al. 2024, "Unlocking Continual Learning Abilities in
 * Language Models"): the magnitude of output dimension i on a batch is n_i = sum_t |y[t][i]|, L1-normalised
 * over i (n_i / sum_j n_j); the gradient is kept only for the rows of W (one per output dimension: the
 * input weights of that unit) whose magnitude is among the k largest, k = max(1, ceil(ratio * out)).
 * Ties go to the lower index, so the choice is deterministic.
 */
final class MiguSelection {
    private MiguSelection() {}

    /** sums[i] += sum over tokens of |y[t][i]|, y (tokens, out) row-major. */
    static void accumulateAbs(float[] y, int tokens, int out, double[] sums) {
        for (int t = 0; t < tokens; t++) {
            int row = t * out;
            for (int i = 0; i < out; i++) sums[i] += Math.abs(y[row + i]);
        }
    }

    /** n_i / sum_j n_j; all zero if every n_i is zero. */
    static double[] normalised(double[] sums) {
        double total = 0;
        for (double s : sums) total += s;
        double[] n = new double[sums.length];
        if (total > 0) for (int i = 0; i < n.length; i++) n[i] = sums[i] / total;
        return n;
    }

    /** k = max(1, ceil(ratio * out)): MIGU's quantile threshold keeps this many when no values tie. */
    static int rowsKept(int out, double ratio) {
        int k = (int) Math.ceil(ratio * out - 1e-9); // 0.3 * 10 is 3.0000000000000004 in binary, and keeps 3
        return Math.max(1, Math.min(out, k));
    }

    /** The k rows of largest magnitude, ascending; ties to the lower index. */
    static int[] topRows(double[] magnitude, int k) {
        Integer[] order = new Integer[magnitude.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> {
            int c = Double.compare(magnitude[b], magnitude[a]);
            return c != 0 ? c : Integer.compare(a, b);
        });
        int[] rows = new int[k];
        for (int i = 0; i < k; i++) rows[i] = order[i];
        java.util.Arrays.sort(rows);
        return rows;
    }
}
