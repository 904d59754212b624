package io.piece4j.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** RMSNorm over the rows [from, to) of (rows, cols) tensors; each row is computed the same way wherever the split falls. */
final class SimdNorms {
    private SimdNorms() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();

    /** y = x * rstd * w per row, rstd = 1 / sqrt(mean(x^2) + eps) also stored in rstd (rows). y may be x. */
    static void rmsnorm(float[] x, int xo, float[] w, int wo, float[] y, int yo, float[] rstd, int ro,
                        int cols, float eps, int from, int to) {
        int bound = S.loopBound(cols);
        for (int r = from; r < to; r++) {
            int xr = xo + r * cols, yr = yo + r * cols;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector v = FloatVector.fromArray(S, x, xr + j);
                acc = v.fma(v, acc);
            }
            float ss = LaneMath.sum(acc);
            for (; j < cols; j++) ss = Math.fma(x[xr + j], x[xr + j], ss);
            float rs = (float) (1.0 / Math.sqrt((double) ss / cols + eps));
            rstd[ro + r] = rs;
            j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(S, x, xr + j).mul(rs).mul(FloatVector.fromArray(S, w, wo + j)).intoArray(y, yr + j);
            }
            for (; j < cols; j++) y[yr + j] = x[xr + j] * rs * w[wo + j];
        }
    }

    /**
     * Needs x and rstd from the forward. With y_j = w_j x_j r:
     * dx_j += r w_j dy_j - (r^3 / cols) x_j sum_i(dy_i w_i x_i), and the rows' dw_j = dy_j x_j r are added
     * into dwPartial (cols, from dwpo), one buffer per fixed block of rows that the caller sums in block order.
     * dx or dwPartial may be null.
     */
    static void rmsnormBackward(float[] x, int xo, float[] w, int wo, float[] rstd, int ro, float[] dy, int dyo,
                                float[] dx, int dxo, float[] dwPartial, int dwpo, int cols, int from, int to) {
        int bound = S.loopBound(cols);
        for (int r = from; r < to; r++) {
            int xr = xo + r * cols, gr = dyo + r * cols, dr = dxo + r * cols;
            float rs = rstd[ro + r];
            if (dx != null) {
                FloatVector acc = FloatVector.zero(S);
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector g = FloatVector.fromArray(S, dy, gr + j);
                    acc = g.mul(FloatVector.fromArray(S, w, wo + j)).fma(FloatVector.fromArray(S, x, xr + j), acc);
                }
                float dot = LaneMath.sum(acc);
                for (; j < cols; j++) dot = Math.fma(dy[gr + j] * w[wo + j], x[xr + j], dot);
                float c = rs * rs * rs * dot / cols;
                j = 0;
                for (; j < bound; j += L) {
                    FloatVector g = FloatVector.fromArray(S, dy, gr + j);
                    FloatVector d = FloatVector.fromArray(S, w, wo + j).mul(rs).mul(g)
                            .sub(FloatVector.fromArray(S, x, xr + j).mul(c));
                    d.add(FloatVector.fromArray(S, dx, dr + j)).intoArray(dx, dr + j);
                }
                for (; j < cols; j++) dx[dr + j] += w[wo + j] * rs * dy[gr + j] - x[xr + j] * c;
            }
            if (dwPartial != null) {
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector g = FloatVector.fromArray(S, dy, gr + j);
                    g.mul(FloatVector.fromArray(S, x, xr + j)).fma(FloatVector.broadcast(S, rs), FloatVector.fromArray(S, dwPartial, dwpo + j))
                            .intoArray(dwPartial, dwpo + j);
                }
                for (; j < cols; j++) dwPartial[dwpo + j] = Math.fma(dy[gr + j] * x[xr + j], rs, dwPartial[dwpo + j]);
            }
        }
    }
}
