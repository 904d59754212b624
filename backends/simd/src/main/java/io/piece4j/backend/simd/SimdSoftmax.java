package io.piece4j.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Row softmax and softmax cross-entropy over the rows [from, to) of (rows, cols) tensors. */
final class SimdSoftmax {
    private SimdSoftmax() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();

    /** y = softmax(x) per row; y may be x. */
    static void softmax(float[] x, int xo, float[] y, int yo, int cols, int from, int to) {
        for (int r = from; r < to; r++) softmaxRow(x, xo + r * cols, y, yo + r * cols, cols);
    }

    /** dx += y * (dy - sum(dy * y)) per row. */
    static void softmaxBackward(float[] y, int yo, float[] dy, int dyo, float[] dx, int dxo, int cols, int from, int to) {
        int bound = S.loopBound(cols);
        for (int r = from; r < to; r++) {
            int yr = yo + r * cols, gr = dyo + r * cols, dr = dxo + r * cols;
            FloatVector acc = FloatVector.zero(S);
            int j = 0;
            for (; j < bound; j += L) {
                acc = FloatVector.fromArray(S, dy, gr + j).fma(FloatVector.fromArray(S, y, yr + j), acc);
            }
            float dot = LaneMath.sum(acc);
            for (; j < cols; j++) dot = Math.fma(dy[gr + j], y[yr + j], dot);
            j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(S, dy, gr + j).sub(dot).fma(FloatVector.fromArray(S, y, yr + j), FloatVector.fromArray(S, dx, dr + j))
                        .intoArray(dx, dr + j);
            }
            for (; j < cols; j++) dx[dr + j] = Math.fma(dy[gr + j] - dot, y[yr + j], dx[dr + j]);
        }
    }

    /**
     * Softmax cross-entropy: probs (rows, vocab) = softmax(logits); loss[r] = -log probs[r][target[r]]
     * (in double), 0 with a zero probs row where the target is negative.
     */
    static void crossEntropy(float[] logits, int lo, int[] targets, float[] probs, int po, double[] loss,
                             int vocab, int from, int to) {
        for (int r = from; r < to; r++) {
            int lr = lo + r * vocab, pr = po + r * vocab;
            if (targets[r] < 0) {
                java.util.Arrays.fill(probs, pr, pr + vocab, 0f);
                loss[r] = 0;
                continue;
            }
            float max = rowMax(logits, lr, vocab);
            float sum = expAndSum(logits, lr, max, probs, pr, vocab);
            scaleRow(probs, pr, 1f / sum, vocab);
            loss[r] = Math.log(sum) + max - logits[lr + targets[r]];
        }
    }

    /** dLogits += scale * (probs - onehot(target)) on rows whose target is not negative. */
    static void crossEntropyBackward(float[] probs, int po, int[] targets, float[] dLogits, int dlo, int vocab,
                                     float scale, int from, int to) {
        int bound = S.loopBound(vocab);
        for (int r = from; r < to; r++) {
            int t = targets[r];
            if (t < 0) continue;
            int pr = po + r * vocab, dr = dlo + r * vocab;
            float atTarget = dLogits[dr + t];
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(S, probs, pr + j).fma(FloatVector.broadcast(S, scale), FloatVector.fromArray(S, dLogits, dr + j)).intoArray(dLogits, dr + j);
            }
            for (; j < vocab; j++) dLogits[dr + j] = Math.fma(probs[pr + j], scale, dLogits[dr + j]);
            dLogits[dr + t] = Math.fma(probs[pr + t] - 1f, scale, atTarget);
        }
    }

    // ---------------------------------------------------------------- one row

    /** y = softmax(x) over n elements. Shared with attention. */
    static void softmaxRow(float[] x, int xo, float[] y, int yo, int n) {
        float max = rowMax(x, xo, n);
        float sum = expAndSum(x, xo, max, y, yo, n);
        scaleRow(y, yo, 1f / sum, n);
    }

    static float rowMax(float[] x, int xo, int n) {
        int bound = S.loopBound(n);
        float max = Float.NEGATIVE_INFINITY;
        int j = 0;
        if (bound > 0) {
            FloatVector m = FloatVector.fromArray(S, x, xo);
            for (j = L; j < bound; j += L) m = m.max(FloatVector.fromArray(S, x, xo + j));
            max = m.reduceLanes(VectorOperators.MAX); // max is exact, so any lane order gives the same bits
        }
        for (; j < n; j++) max = Math.max(max, x[xo + j]);
        return max;
    }

    /** e[j] = exp(x[j] - max); returns their sum. e may be x. */
    static float expAndSum(float[] x, int xo, float max, float[] e, int eo, int n) {
        int bound = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector v = LaneMath.exp(FloatVector.fromArray(S, x, xo + j).sub(max));
            v.intoArray(e, eo + j);
            acc = acc.add(v);
        }
        float sum = LaneMath.sum(acc);
        for (; j < n; j++) {
            float v = LaneMath.exp(x[xo + j] - max);
            e[eo + j] = v;
            sum += v;
        }
        return sum;
    }

    static void scaleRow(float[] y, int yo, float factor, int n) {
        int bound = S.loopBound(n);
        int j = 0;
        for (; j < bound; j += L) FloatVector.fromArray(S, y, yo + j).mul(factor).intoArray(y, yo + j);
        for (; j < n; j++) y[yo + j] *= factor;
    }
}
