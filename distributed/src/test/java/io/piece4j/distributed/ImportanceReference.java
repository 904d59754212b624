package io.piece4j.distributed;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Tensor;

import java.util.List;

/**
 * The distributed importance pass's sums written out independently for the tests: every batch's gradient
 * taken on its own, then added per leaf in batch order (G in float, H as one rounding of H + g*g, like the
 * local pass), then leaves combined by halves [lo, mid), [mid, hi), mid = (lo + hi) / 2.
 */
final class ImportanceReference {
    final float[][] perBatch; // (N, P) each batch's gradient of its mean loss

    ImportanceReference(LlamaModel model, List<TokenBatch> batches) {
        Tensor grads = model.enableGradients();
        model.setTrainableIndices(null);
        model.freezeEmbeddings();
        perBatch = new float[batches.size()][];
        for (int b = 0; b < batches.size(); b++) {
            grads.zero();
            TokenBatch t = batches.get(b);
            model.loss(t.tokens(), t.targets(), t.batch(), t.seq()).backward();
            perBatch[b] = grads.toArray();
        }
    }

    /** {G, H} over the leaves [lo, hi) of a tree with the given leaf count. */
    float[][] tree(int leaves, int lo, int hi) {
        int n = perBatch.length;
        if (hi - lo == 1) {
            int p = perBatch[0].length;
            float[] g = new float[p], h = new float[p];
            for (int b = (int) ((long) lo * n / leaves); b < (int) ((long) hi * n / leaves); b++) {
                for (int i = 0; i < p; i++) {
                    double x = perBatch[b][i];
                    g[i] = (float) (g[i] + x);
                    h[i] = (float) (h[i] + x * x);
                }
            }
            return new float[][] {g, h};
        }
        int mid = (lo + hi) >>> 1;
        float[][] l = tree(leaves, lo, mid), r = tree(leaves, mid, hi);
        for (int i = 0; i < l[0].length; i++) {
            l[0][i] += r[0][i];
            l[1][i] += r[1][i];
        }
        return l;
    }

    /** Per coordinate, sum over batches of |g| and of g*g: the scale of the rounding error of any order of summation. */
    double[][] absoluteSums() {
        int p = perBatch[0].length;
        double[] a = new double[p], s = new double[p];
        for (float[] g : perBatch) {
            for (int i = 0; i < p; i++) {
                a[i] += Math.abs(g[i]);
                s[i] += (double) g[i] * g[i];
            }
        }
        return new double[][] {a, s};
    }
}
