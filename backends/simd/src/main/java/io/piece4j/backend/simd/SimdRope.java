package io.piece4j.backend.simd;

import io.piece4j.tensor.spi.RopeLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary embedding over the token rows [from, to) of x (batch * seq, heads, headDim): the pair (u, v) at
 * head dimension i becomes (u cos - v sin, u sin + v cos), sin negated for the inverse rotation.
 */
final class SimdRope {
    private SimdRope() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();
    /** Lane 2i <-> 2i+1: puts each interleaved pair's partner under it. */
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(S, lane -> lane ^ 1);

    static void rope(float[] x, int xo, float[] y, int yo, float[] cos, int co, float[] sin, int so, int seq, int heads,
                     int headDim, int posOffset, RopeLayout layout, boolean inverse, boolean accumulate, int from, int to) {
        if (layout == RopeLayout.INTERLEAVED) {
            interleaved(x, xo, y, yo, cos, co, sin, so, seq, heads, headDim, posOffset, inverse, accumulate, from, to);
        } else {
            halfSplit(x, xo, y, yo, cos, co, sin, so, seq, heads, headDim, posOffset, inverse, accumulate, from, to);
        }
    }

    /**
     * Pairs (2i, 2i+1). With the tables spread to the head's layout, c2 = (c0, c0, c1, c1, ...) and
     * s2 = (-s0, s0, -s1, s1, ...), the rotation is y = x * c2 + swapPairs(x) * s2.
     */
    private static void interleaved(float[] x, int xo, float[] y, int yo, float[] cos, int co, float[] sin, int so,
                                    int seq, int heads, int hd, int posOffset, boolean inverse, boolean accumulate,
                                    int from, int to) {
        int half = hd / 2;
        float[] spread = SPREAD_TABLES.atLeast(2 * hd); // (2, headDim): c2 at [0, hd), s2 at [hd, 2 hd)
        int bound = S.loopBound(hd);
        for (int r = from; r < to; r++) {
            int row = (posOffset + r % seq) * half;
            for (int i = 0; i < half; i++) {
                float c = cos[co + row + i], s = inverse ? -sin[so + row + i] : sin[so + row + i];
                spread[2 * i] = c;
                spread[2 * i + 1] = c;
                spread[hd + 2 * i] = -s;
                spread[hd + 2 * i + 1] = s;
            }
            for (int h = 0; h < heads; h++) {
                int xb = xo + (r * heads + h) * hd, yb = yo + (r * heads + h) * hd;
                int d = 0;
                for (; d < bound; d += L) {
                    FloatVector v = FloatVector.fromArray(S, x, xb + d);
                    FloatVector rotated = v.mul(FloatVector.fromArray(S, spread, d))
                            .add(v.rearrange(SWAP_PAIRS).mul(FloatVector.fromArray(S, spread, hd + d)));
                    if (accumulate) rotated = rotated.add(FloatVector.fromArray(S, y, yb + d));
                    rotated.intoArray(y, yb + d);
                }
                for (; d < hd; d += 2) {
                    float u = x[xb + d], v = x[xb + d + 1];
                    float ru = u * spread[d] + v * spread[hd + d], rv = v * spread[d + 1] + u * spread[hd + d + 1];
                    y[yb + d] = accumulate ? y[yb + d] + ru : ru;
                    y[yb + d + 1] = accumulate ? y[yb + d + 1] + rv : rv;
                }
            }
        }
    }

    private static final WorkArrays<float[]> SPREAD_TABLES = WorkArrays.floats();

    /** Pairs (i, i + headDim/2): both halves are contiguous, and so are the tables. */
    private static void halfSplit(float[] x, int xo, float[] y, int yo, float[] cos, int co, float[] sin, int so,
                                  int seq, int heads, int hd, int posOffset, boolean inverse, boolean accumulate,
                                  int from, int to) {
        int half = hd / 2;
        int bound = S.loopBound(half);
        for (int r = from; r < to; r++) {
            int cr = co + (posOffset + r % seq) * half, sr = so + (posOffset + r % seq) * half;
            for (int h = 0; h < heads; h++) {
                int xb = xo + (r * heads + h) * hd, yb = yo + (r * heads + h) * hd;
                int i = 0;
                for (; i < bound; i += L) {
                    FloatVector c = FloatVector.fromArray(S, cos, cr + i);
                    FloatVector s = FloatVector.fromArray(S, sin, sr + i);
                    if (inverse) s = s.neg();
                    FloatVector u = FloatVector.fromArray(S, x, xb + i);
                    FloatVector v = FloatVector.fromArray(S, x, xb + half + i);
                    FloatVector ru = u.mul(c).sub(v.mul(s));
                    FloatVector rv = u.mul(s).add(v.mul(c));
                    if (accumulate) {
                        ru = ru.add(FloatVector.fromArray(S, y, yb + i));
                        rv = rv.add(FloatVector.fromArray(S, y, yb + half + i));
                    }
                    ru.intoArray(y, yb + i);
                    rv.intoArray(y, yb + half + i);
                }
                for (; i < half; i++) {
                    float c = cos[cr + i], s = inverse ? -sin[sr + i] : sin[sr + i];
                    float u = x[xb + i], v = x[xb + half + i];
                    float ru = u * c - v * s, rv = u * s + v * c;
                    y[yb + i] = accumulate ? y[yb + i] + ru : ru;
                    y[yb + half + i] = accumulate ? y[yb + half + i] + rv : rv;
                }
            }
        }
    }
}
