package io.piece4j.tensor.spi;

/**
 * The reference kernels of decoding with packed weights and a bfloat16 KV cache: plain loops over host arrays that
 * sum in double, the ground truth the vectorised kernels are tested against, and what {@link Backend}'s default
 * methods run (through the host) on a backend with no kernels of its own.
 */
public final class PackedKernels {
    private PackedKernels() {}

    /** y (tokens, rows) = x (tokens, cols) W^T, each row of W widened to float32 and each dot product summed in double. */
    public static void linear(PackedMatrix w, float[] x, int xo, float[] y, int yo, int tokens) {
        int rows = w.rows(), cols = w.cols();
        switch (w) {
            case F32Matrix m -> {
                float[] v = m.values();
                for (int t = 0; t < tokens; t++) {
                    for (int r = 0; r < rows; r++) {
                        double s = 0;
                        for (int j = 0; j < cols; j++) s += (double) v[r * cols + j] * x[xo + t * cols + j];
                        y[yo + t * rows + r] = (float) s;
                    }
                }
            }
            case Bf16Matrix m -> {
                short[] b = m.bits();
                for (int t = 0; t < tokens; t++) {
                    for (int r = 0; r < rows; r++) {
                        double s = 0;
                        for (int j = 0; j < cols; j++) s += (double) Bf16Matrix.toFloat(b[r * cols + j]) * x[xo + t * cols + j];
                        y[yo + t * rows + r] = (float) s;
                    }
                }
            }
            case Q8Matrix m -> {
                byte[] q = m.quants();
                float[] d = m.scales();
                int blocks = cols / Q8Matrix.BLOCK;
                for (int t = 0; t < tokens; t++) {
                    for (int r = 0; r < rows; r++) {
                        double s = 0;
                        for (int b = 0; b < blocks; b++) {
                            int base = r * cols + b * Q8Matrix.BLOCK;
                            double block = 0; // sum of q * x over the block, then times its scale
                            for (int j = 0; j < Q8Matrix.BLOCK; j++) block += q[base + j] * (double) x[xo + t * cols + b * Q8Matrix.BLOCK + j];
                            s += d[r * blocks + b] * block;
                        }
                        y[yo + t * rows + r] = (float) s;
                    }
                }
            }
        }
    }

    /**
     * Causal attention of tq queries over a KV cache held in bfloat16, with grouped KV heads, as
     * {@link Backend#attention} computes it for batch 1: q (tq, heads, headDim); keys and values (kvCapacity, kvHeads,
     * headDim) as bfloat16 bits, the first tk positions used; out (tq, heads, headDim). Query t sits at position
     * tk - tq + t and attends to keys 0..that position.
     */
    public static void attentionBf16(float[] q, int qo, short[] keys, short[] values, float[] out, int oo, int tq, int tk,
                                     int heads, int kvHeads, int headDim) {
        double scale = 1.0 / Math.sqrt(headDim);
        int group = heads / kvHeads;
        double[] p = new double[tk]; // (tk) scores, then weights
        for (int h = 0; h < heads; h++) {
            int kh = h / group;
            for (int t = 0; t < tq; t++) {
                int last = tk - tq + t;
                int qBase = qo + (t * heads + h) * headDim;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= last; j++) {
                    int kBase = (j * kvHeads + kh) * headDim;
                    double s = 0;
                    for (int e = 0; e < headDim; e++) s += q[qBase + e] * (double) Bf16Matrix.toFloat(keys[kBase + e]);
                    p[j] = s * scale;
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j <= last; j++) { p[j] = Math.exp(p[j] - max); sum += p[j]; }
                int oBase = oo + (t * heads + h) * headDim;
                for (int e = 0; e < headDim; e++) {
                    double acc = 0;
                    for (int j = 0; j <= last; j++) acc += p[j] * Bf16Matrix.toFloat(values[(j * kvHeads + kh) * headDim + e]);
                    out[oBase + e] = (float) (acc / sum);
                }
            }
        }
    }
}
