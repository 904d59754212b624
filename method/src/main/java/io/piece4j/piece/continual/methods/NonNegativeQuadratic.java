package io.piece4j.piece.continual.methods;

/**
 * Solves the small quadratic program
 *
 * <pre>
 *   minimise 1/2 v^T M v + q^T v   subject to v >= 0        (M symmetric positive semi-definite, n x n)
 * </pre>
 *
 * by the active-set method of Lawson and Hanson (NNLS), written on M and q directly (the "Gram form"):
 * GEM's dual is exactly this with M = G G^T and q = G g, i.e. the NNLS problem min ||G^T v + g||^2.
 * n is the number of earlier tasks, so everything is dense and in double.
 *
 * <p>Why not a library: the problem is n <= a few dozen variables with only bound constraints, which
 * this method solves exactly in a finite number of steps in about 80 lines, without a dependency; the
 * tests check it against the KKT conditions and a brute-force search over every active set.
 */
public final class NonNegativeQuadratic {
    private NonNegativeQuadratic() {}

    /** The minimiser v (n). */
    public static double[] solve(double[][] m, double[] q) {
        int n = q.length;
        double scale = 0;
        for (int i = 0; i < n; i++) scale = Math.max(scale, Math.max(Math.abs(m[i][i]), Math.abs(q[i])));
        if (scale == 0) return new double[n];
        double tol = 1e-12 * scale * n;

        double[] x = new double[n];
        boolean[] passive = new boolean[n];
        boolean[] blocked = new boolean[n]; // added and dropped at once: numerically dependent, skipped until x moves
        double[] w = negGradient(m, q, x);
        int maxIterations = 30 * n + 30;
        for (int iter = 0; ; iter++) {
            if (iter > maxIterations) throw new IllegalStateException("NNLS did not converge in " + maxIterations + " iterations (n = " + n + ")");
            int j = -1;
            for (int i = 0; i < n; i++) if (!passive[i] && !blocked[i] && w[i] > tol && (j < 0 || w[i] > w[j])) j = i;
            if (j < 0) break; // KKT holds: no free direction decreases the objective
            passive[j] = true;
            boolean moved = false;
            while (true) {
                double[] s = solvePassive(m, q, passive);
                // step from x towards s until the first passive variable reaches 0 (alpha = 1: s itself is feasible)
                double alpha = 1;
                int hits = -1;
                for (int i = 0; i < n; i++) {
                    if (passive[i] && s[i] <= 0) {
                        double a = x[i] - s[i] <= 0 ? 0 : x[i] / (x[i] - s[i]);
                        if (hits < 0 || a < alpha) { alpha = a; hits = i; }
                    }
                }
                if (hits < 0) {
                    x = s;
                    moved = true;
                    break;
                }
                for (int i = 0; i < n; i++) if (passive[i]) x[i] += alpha * (s[i] - x[i]);
                if (alpha > 0) moved = true;
                x[hits] = 0;
                for (int i = 0; i < n; i++) {
                    if (passive[i] && x[i] <= 0) {
                        passive[i] = false;
                        x[i] = 0;
                    }
                }
                if (!passive[j] && !moved) { blocked[j] = true; break; }
            }
            if (moved) java.util.Arrays.fill(blocked, false);
            w = negGradient(m, q, x);
        }
        return x;
    }

    /** -(M x + q): positive entries are directions in which increasing x lowers the objective. */
    private static double[] negGradient(double[][] m, double[] q, double[] x) {
        int n = q.length;
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            double s = q[i];
            for (int k = 0; k < n; k++) s += m[i][k] * x[k];
            w[i] = -s;
        }
        return w;
    }

    /** The unconstrained minimiser over the passive variables (M_PP s_P = -q_P), zero elsewhere; Cholesky, with jitter if M_PP is singular. */
    private static double[] solvePassive(double[][] m, double[] q, boolean[] passive) {
        int n = q.length, k = 0;
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) if (passive[i]) idx[k++] = i;
        double[][] a = new double[k][k];
        double[] b = new double[k];
        double trace = 0;
        for (int r = 0; r < k; r++) {
            for (int c = 0; c < k; c++) a[r][c] = m[idx[r]][idx[c]];
            b[r] = -q[idx[r]];
            trace += a[r][r];
        }
        double[] y = null;
        for (double jitter = 0; y == null; jitter = jitter == 0 ? 1e-14 * Math.max(trace, 1e-300) : jitter * 100) {
            y = choleskySolve(a, b, jitter);
        }
        double[] s = new double[n];
        for (int r = 0; r < k; r++) s[idx[r]] = y[r];
        return s;
    }

    /** (A + jitter I) y = b for symmetric A, or null when A + jitter I is not positive definite. */
    private static double[] choleskySolve(double[][] a, double[] b, double jitter) {
        int k = b.length;
        double[][] l = new double[k][k];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i][j] + (i == j ? jitter : 0);
                for (int p = 0; p < j; p++) s -= l[i][p] * l[j][p];
                if (i == j) {
                    if (!(s > 0)) return null;
                    l[i][i] = Math.sqrt(s);
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        double[] y = new double[k];
        for (int i = 0; i < k; i++) {
            double s = b[i];
            for (int p = 0; p < i; p++) s -= l[i][p] * y[p];
            y[i] = s / l[i][i];
        }
        for (int i = k - 1; i >= 0; i--) {
            double s = y[i];
            for (int p = i + 1; p < k; p++) s -= l[p][i] * y[p];
            y[i] = s / l[i][i];
        }
        return y;
    }
}
