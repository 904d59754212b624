package io.piece4j.piece.continual.metrics;

/**
 * Transfer metrics of a continual run over the score matrix r (T x T): r[t][i] is the score on task i
 * after training task t (0-based), every task evaluated after every task, seen or not; base[i] is the
 * base model's score on task i. Definitions as in PIECE.md section 5 (GEM's forms):
 *
 * <pre>
 *   OP          = mean_i r[T-1][i]
 *   OP after t  = mean_{i <= t} r[t][i]
 *   BWT         = mean_{i < T-1} (r[T-1][i] - r[i][i])            (NaN when T = 1: no earlier task)
 *   BWT_orig    = sum_{i < T-1} (r[T-1][i] - r[i][i]) / T           (the original code: the last task's zero term counted)
 *   FWT         = mean_{i >= 1} (r[i-1][i] - base[i])               (NaN when T = 1)
 * </pre>
 *
 * For a metric where lower is better (answer loss) the signs read the other way: a positive BWT is then
 * forgetting. Sums run in index order, so results are bit-for-bit reproducible. Also the mean and sample
 * standard deviation (n - 1) over seeds, elementwise, of matrices, vectors and scalars; one seed has
 * standard deviation 0.
 */
public final class TransferMetrics {
    private TransferMetrics() {}

    /** Overall performance after the last task. */
    public static double op(double[][] r) {
        int last = requireSquare(r) - 1;
        return opAfter(r, last);
    }

    /** Mean score over the tasks seen so far (i <= t) after training task t: OP along the sequence. */
    public static double opAfter(double[][] r, int t) {
        int tasks = requireSquare(r);
        if (t < 0 || t >= tasks) throw new IllegalArgumentException("task index " + t + " outside 0.." + (tasks - 1));
        double sum = 0;
        for (int i = 0; i <= t; i++) sum += r[t][i];
        return sum / (t + 1);
    }

    /** Backward transfer: mean change of each earlier task from right after it was trained to the end. */
    public static double bwt(double[][] r) {
        int tasks = requireSquare(r);
        if (tasks == 1) return Double.NaN;
        return backwardSum(r, tasks) / (tasks - 1);
    }

    /** The original code's backward transfer: the same sum divided by T instead of T - 1. */
    public static double bwtOriginal(double[][] r) {
        int tasks = requireSquare(r);
        return backwardSum(r, tasks) / tasks;
    }

    /** Forward transfer: mean gain on each task i >= 1 before training it, over the base model. */
    public static double fwt(double[][] r, double[] base) {
        int tasks = requireSquare(r);
        if (base.length != tasks) {
            throw new IllegalArgumentException("base has " + base.length + " scores; expected one per task (" + tasks + ")");
        }
        if (tasks == 1) return Double.NaN;
        double sum = 0;
        for (int i = 1; i < tasks; i++) sum += r[i - 1][i] - base[i];
        return sum / (tasks - 1);
    }

    private static double backwardSum(double[][] r, int tasks) {
        double sum = 0;
        for (int i = 0; i < tasks - 1; i++) sum += r[tasks - 1][i] - r[i][i];
        return sum;
    }

    private static int requireSquare(double[][] r) {
        if (r.length == 0) throw new IllegalArgumentException("score matrix has no task");
        for (int t = 0; t < r.length; t++) {
            if (r[t].length != r.length) {
                throw new IllegalArgumentException("score matrix row " + t + " has " + r[t].length + " scores; expected "
                        + r.length + " (one per task, the matrix is tasks x tasks)");
            }
        }
        return r.length;
    }

    // ---- over seeds ----

    /** Elementwise mean over seeds of matrices of one shape: perSeed[s][t][i]. */
    public static double[][] meanOverSeeds(double[][][] perSeed) {
        requireSeeds(perSeed.length);
        double[][] out = new double[perSeed[0].length][];
        for (int t = 0; t < out.length; t++) out[t] = meanOverSeeds(column(perSeed, t));
        return out;
    }

    /** Elementwise sample standard deviation over seeds of matrices of one shape; 0 for one seed. */
    public static double[][] stdOverSeeds(double[][][] perSeed) {
        requireSeeds(perSeed.length);
        double[][] out = new double[perSeed[0].length][];
        for (int t = 0; t < out.length; t++) out[t] = stdOverSeeds(column(perSeed, t));
        return out;
    }

    /** Elementwise mean over seeds of vectors of one length: perSeed[s][i]. */
    public static double[] meanOverSeeds(double[][] perSeed) {
        requireSeeds(perSeed.length);
        double[] out = new double[perSeed[0].length];
        for (int i = 0; i < out.length; i++) out[i] = meanOverSeeds(component(perSeed, i));
        return out;
    }

    /** Elementwise sample standard deviation over seeds of vectors of one length; 0 for one seed. */
    public static double[] stdOverSeeds(double[][] perSeed) {
        requireSeeds(perSeed.length);
        double[] out = new double[perSeed[0].length];
        for (int i = 0; i < out.length; i++) out[i] = stdOverSeeds(component(perSeed, i));
        return out;
    }

    /** Mean of one value per seed. */
    public static double meanOverSeeds(double[] perSeed) {
        requireSeeds(perSeed.length);
        double sum = 0;
        for (double v : perSeed) sum += v;
        return sum / perSeed.length;
    }

    /** Sample standard deviation (divided by n - 1) of one value per seed; 0 for one seed. */
    public static double stdOverSeeds(double[] perSeed) {
        requireSeeds(perSeed.length);
        if (perSeed.length == 1) return 0;
        double mean = meanOverSeeds(perSeed);
        double squares = 0;
        for (double v : perSeed) squares += (v - mean) * (v - mean);
        return Math.sqrt(squares / (perSeed.length - 1));
    }

    private static void requireSeeds(int seeds) {
        if (seeds == 0) throw new IllegalArgumentException("no seed to average over");
    }

    /** perSeed[s][t] for every seed s, checking that every seed's matrix has the same shape. */
    private static double[][] column(double[][][] perSeed, int t) {
        double[][] rows = new double[perSeed.length][];
        for (int s = 0; s < perSeed.length; s++) {
            if (perSeed[s].length != perSeed[0].length) {
                throw new IllegalArgumentException("seed " + s + " has " + perSeed[s].length + " rows; seed 0 has " + perSeed[0].length);
            }
            rows[s] = perSeed[s][t];
        }
        return rows;
    }

    /** perSeed[s][i] for every seed s, checking that every seed's vector has the same length. */
    private static double[] component(double[][] perSeed, int i) {
        double[] values = new double[perSeed.length];
        for (int s = 0; s < perSeed.length; s++) {
            if (perSeed[s].length != perSeed[0].length) {
                throw new IllegalArgumentException("seed " + s + " has " + perSeed[s].length + " values; seed 0 has " + perSeed[0].length);
            }
            values[s] = perSeed[s][i];
        }
        return values;
    }
}
