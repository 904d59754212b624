package io.piece4j.tensor.spi;

import io.piece4j.tensor.Tensor;

/**
 * The default implementations of the compact-gradient kernels for a backend that has none of its own: they call the
 * backend's own {@link Backend#sampledMatmul} and {@link Backend#maskedAdamw} on temporary storage and move numbers
 * through the host, so each coordinate gets exactly the arithmetic of the non-compact kernel. Slow on a device (the
 * temporary and the host traffic), but right everywhere.
 */
final class CompactGradientKernels {
    private CompactGradientKernels() {}

    /** Coordinates of param updated per round of maskedAdamwOnHost: bounds the temporary gradient (4 MB). */
    private static final int SPAN = 1 << 20;

    /** dValues[j] += the sampled product at localIdx[j], through a temporary (outDim, inDim) gradient. */
    static void sampledMatmulOnHost(Backend be, Tensor dY, Tensor x, int[] localIdx, Tensor dValues, int tokens, int outDim,
                                    int inDim) {
        int k = localIdx.length;
        if (k == 0) return;
        Tensor dense = Tensor.view(be.allocate((long) outDim * inDim), 0, outDim, inDim); // (outDim, inDim), zero
        be.sampledMatmul(dY, x, localIdx, dense, tokens, outDim, inDim);
        float[] row = new float[inDim], values = new float[k];
        be.read(dValues.storage(), dValues.offset(), values, 0, k);
        int loaded = -1;
        for (int j = 0; j < k; j++) {
            int r = localIdx[j] / inDim;
            if (r != loaded) { // one read per row that holds an index
                be.read(dense.storage(), (long) r * inDim, row, 0, inDim);
                loaded = r;
            }
            values[j] = values[j] + row[localIdx[j] % inDim]; // added in float32
        }
        be.write(dValues.storage(), dValues.offset(), values, 0, k);
    }

    /**
     * maskedAdamw over compact gradients: the indices are taken in runs spanning at most SPAN coordinates of param;
     * each run's gradients are scattered into a temporary dense stretch and the backend's maskedAdamw updates that
     * stretch of param with the run's moments.
     */
    static void maskedAdamwOnHost(Backend be, Tensor param, int[] idx, Tensor gradValues, Tensor m, Tensor v, float lr,
                                  float beta1, float beta2, float eps, float weightDecay, float bias1, float bias2, float gradScale) {
        int k = idx.length;
        if (k == 0) return;
        float[] g = new float[k];
        be.read(gradValues.storage(), gradValues.offset(), g, 0, k);
        Tensor stretch = Tensor.view(be.allocate(SPAN), 0, SPAN); // (SPAN) the gradients of one run, scattered
        float[] host = new float[SPAN];
        for (int j0 = 0; j0 < k; ) {
            int lo = idx[j0], j1 = j0;
            while (j1 < k && idx[j1] - lo < SPAN) j1++;
            int span = idx[j1 - 1] - lo + 1;
            int[] local = new int[j1 - j0];
            java.util.Arrays.fill(host, 0, span, 0f);
            for (int j = j0; j < j1; j++) {
                local[j - j0] = idx[j] - lo;
                host[idx[j] - lo] = g[j];
            }
            be.write(stretch.storage(), 0, host, 0, span);
            Tensor p = Tensor.view(param.storage(), param.offset() + lo, span);
            Tensor gs = Tensor.view(stretch.storage(), 0, span);
            Tensor ms = Tensor.view(m.storage(), m.offset() + j0, j1 - j0), vs = Tensor.view(v.storage(), v.offset() + j0, j1 - j0);
            be.maskedAdamw(p, gs, local, ms, vs, lr, beta1, beta2, eps, weightDecay, bias1, bias2, gradScale);
            j0 = j1;
        }
    }
}
