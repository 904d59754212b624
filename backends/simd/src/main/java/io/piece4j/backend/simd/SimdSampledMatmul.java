package io.piece4j.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The weight gradient at chosen coordinates only (PIECE's sparse gradients): dW[e] += sum_t dY[t][row(e)]
 * x[t][col(e)]. The rows of dY and columns of x the coordinates touch are transposed into contiguous
 * (tokens) vectors once; then every coordinate is one vector dot product. Coordinates are split across
 * threads in fixed chunks; each dot is computed the same way wherever it runs.
 */
final class SimdSampledMatmul {
    private SimdSampledMatmul() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();
    private static final int CHUNK = 256;

    // the calling thread's work arrays, kept between calls (the workers only read them, during the call)
    private static final WorkArrays<int[]> ROW_SLOTS = WorkArrays.ints(), COLUMN_SLOTS = WorkArrays.ints();
    private static final WorkArrays<float[]> DY_ROWS = WorkArrays.floats(), X_COLUMNS = WorkArrays.floats();

    /** dW[wo + e] += ..., or with compact dW[wo + j] += ... for e = localIdx[j] (a gradient holding only those coordinates). */
    static void run(float[] dY, int yo, float[] x, int xo, int[] localIdx, float[] dW, int wo, boolean compact, int tokens,
                    int outDim, int inDim, WorkerPool pool) {
        int[] rowSlot = ROW_SLOTS.atLeast(outDim), colSlot = COLUMN_SLOTS.atLeast(inDim); // (outDim), (inDim)
        Arrays.fill(rowSlot, 0, outDim, -1);
        Arrays.fill(colSlot, 0, inDim, -1);
        int rows = 0, cols = 0;
        for (int e : localIdx) {
            if (rowSlot[e / inDim] < 0) rowSlot[e / inDim] = rows++;
            if (colSlot[e % inDim] < 0) colSlot[e % inDim] = cols++;
        }
        float[] dyT = DY_ROWS.atLeast(rows * tokens), xT = X_COLUMNS.atLeast(cols * tokens); // (rows, T), (cols, T), written whole
        for (int t = 0; t < tokens; t++) {
            int yr = yo + t * outDim, xr = xo + t * inDim;
            for (int r = 0; r < outDim; r++) if (rowSlot[r] >= 0) dyT[rowSlot[r] * tokens + t] = dY[yr + r];
            for (int c = 0; c < inDim; c++) if (colSlot[c] >= 0) xT[colSlot[c] * tokens + t] = x[xr + c];
        }
        int chunks = (localIdx.length + CHUNK - 1) / CHUNK;
        pool.parallelFor(chunks, ch -> {
            int end = Math.min(localIdx.length, (ch + 1) * CHUNK);
            for (int j = ch * CHUNK; j < end; j++) {
                int e = localIdx[j];
                dW[wo + (compact ? j : e)] += dot(dyT, rowSlot[e / inDim] * tokens, xT, colSlot[e % inDim] * tokens, tokens);
            }
        });
    }

    /** Two vector accumulators, a fixed lane tree (LaneMath.sum), then the scalar tail. */
    private static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
            s1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), s1);
        }
        for (; i + L <= n; i += L) s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
        float s = LaneMath.sum(s0.add(s1));
        for (; i < n; i++) s = Math.fma(a[ao + i], b[bo + i], s);
        return s;
    }
}
