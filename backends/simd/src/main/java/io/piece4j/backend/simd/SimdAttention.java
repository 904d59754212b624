package io.piece4j.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal grouped-query attention: the forward as one task per query head, the backward as one task per kv
 * head (with the query heads that share it, so that its dk and dv have a single writer). Layouts as in the SPI: q, out, dOut (batch, tq, heads,
 * headDim); k, v (batch, kvCapacity, kvHeads, headDim); probs (batch, heads, tq, tk).
 *
 * <p>The dot products of a query with all its keys are computed L keys at a time, so that no lane sum is
 * needed: score[j..j+L) accumulates k[j..j+L)[d] * q[d] over d in order. The keys' d-th components come
 * from a transposed copy of the head's keys (packed once per task, worth it when many queries share the
 * keys) or, for one or a few queries (token generation), straight from k by a gather. Both give the same
 * bits, so a query's output does not depend on how many queries came with it.
 */
final class SimdAttention {
    private SimdAttention() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();

    /** From this many queries per head on, transposing the keys once beats gathering them per query. */
    static final int PACK_MIN_QUERIES = 4;

    /** The keys (or values) of one kv head: row j at base + j * stride, headDim long. */
    private record HeadRows(float[] a, int base, int stride, int headDim, float[] transposed, int tBase, int padded, int[] gather) {

        /**
         * The rows, transposed into this thread's packing array of the given site if pack, else read in place
         * with this thread's gather array of the site (a call's keys and values use different sites).
         */
        static HeadRows of(float[] a, int base, int stride, int headDim, int rows, boolean pack, WorkArrays<float[]> packSite,
                           WorkArrays<int[]> gatherSite) {
            int padded = roundUp(rows);
            if (pack) {
                float[] t = packSite.atLeast(headDim * padded); // (headDim, padded), zero past the last row
                for (int j = 0; j < rows; j++) {
                    int src = base + j * stride;
                    for (int d = 0; d < headDim; d++) t[d * padded + j] = a[src + d];
                }
                for (int d = 0; d < headDim; d++) java.util.Arrays.fill(t, d * padded + rows, (d + 1) * padded, 0f);
                return new HeadRows(a, base, stride, headDim, t, 0, padded, null);
            }
            int[] gather = gatherSite.atLeast(L); // (L): lane i reads row j + i
            for (int i = 0; i < L; i++) gather[i] = i * stride;
            return new HeadRows(a, base, stride, headDim, null, 0, padded, gather);
        }

        /** Keys already transposed by the caller: component d of key j at tBase + d * capacity + j. */
        static HeadRows transposed(float[] keysT, int tBase, int capacity, int headDim) {
            return new HeadRows(null, 0, 0, headDim, keysT, tBase, capacity, null);
        }

        /**
         * dots[dotsOff + j] = sum over d in order of row_j[d] * x[d] (one fma per term), for j < n; dots has
         * room for roundUp(n) entries from dotsOff, and those from n on are left undefined.
         */
        void dots(float[] x, int xo, int n, float[] dots, int dotsOff) {
            int nPad = roundUp(n);
            int j = 0;
            if (transposed != null) {
                // rows are padded long; a block that would run past a row's end (only a caller's transposed cache,
                // whose capacity need not be a multiple of L) reads zeros there, in lanes past n
                for (; j + 4 * L <= nPad && j + 4 * L <= padded; j += 4 * L) {
                    FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                    for (int d = 0, row = tBase + j; d < headDim; d++, row += padded) {
                        FloatVector xd = FloatVector.broadcast(S, x[xo + d]);
                        a0 = FloatVector.fromArray(S, transposed, row).fma(xd, a0);
                        a1 = FloatVector.fromArray(S, transposed, row + L).fma(xd, a1);
                        a2 = FloatVector.fromArray(S, transposed, row + 2 * L).fma(xd, a2);
                        a3 = FloatVector.fromArray(S, transposed, row + 3 * L).fma(xd, a3);
                    }
                    a0.intoArray(dots, dotsOff + j);
                    a1.intoArray(dots, dotsOff + j + L);
                    a2.intoArray(dots, dotsOff + j + 2 * L);
                    a3.intoArray(dots, dotsOff + j + 3 * L);
                }
                for (; j < nPad; j += L) {
                    FloatVector acc = FloatVector.zero(S);
                    if (j + L <= padded) {
                        for (int d = 0, row = tBase + j; d < headDim; d++, row += padded) {
                            acc = FloatVector.fromArray(S, transposed, row).fma(FloatVector.broadcast(S, x[xo + d]), acc);
                        }
                    } else {
                        VectorMask<Float> inRow = S.indexInRange(j, padded);
                        for (int d = 0, row = tBase + j; d < headDim; d++, row += padded) {
                            acc = FloatVector.fromArray(S, transposed, row, inRow).fma(FloatVector.broadcast(S, x[xo + d]), acc);
                        }
                    }
                    acc.intoArray(dots, dotsOff + j);
                }
            } else {
                for (; j < nPad; j += L) {
                    // in the last block, lanes past row n - 1 read row n - 1 again (a gather checks every lane)
                    int[] rows = j + L <= n ? gather : clampedGather(n - 1 - j); // the second only in the last block
                    int rowJ = base + j * stride;
                    FloatVector acc = FloatVector.zero(S);
                    for (int d = 0; d < headDim; d++) {
                        acc = FloatVector.fromArray(S, a, rowJ + d, rows, 0).fma(FloatVector.broadcast(S, x[xo + d]), acc);
                    }
                    acc.intoArray(dots, dotsOff + j);
                }
            }
        }

        private int[] clampedGather(int lastLane) {
            int[] rows = LAST_BLOCK_GATHER.atLeast(L); // (L)
            for (int i = 0; i < L; i++) rows[i] = Math.min(i, lastLane) * stride;
            return rows;
        }

        /**
         * out (headDim) (+)= sum over j < n of w[wo + j] * row_j, vectorised over the head dimension; the
         * terms go to four partial sums by j mod 4, added as (s0 + s1) + (s2 + s3).
         */
        void weightedSum(float[] w, int wo, int n, float[] out, int oo, boolean accumulate) {
            for (int d = 0; d < headDim; d += L) {
                VectorMask<Float> m = S.indexInRange(d, headDim);
                FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
                int j = 0, row = base + d;
                for (; j + 4 <= n; j += 4, row += 4 * stride) {
                    s0 = FloatVector.fromArray(S, a, row, m).fma(FloatVector.broadcast(S, w[wo + j]), s0);
                    s1 = FloatVector.fromArray(S, a, row + stride, m).fma(FloatVector.broadcast(S, w[wo + j + 1]), s1);
                    s2 = FloatVector.fromArray(S, a, row + 2 * stride, m).fma(FloatVector.broadcast(S, w[wo + j + 2]), s2);
                    s3 = FloatVector.fromArray(S, a, row + 3 * stride, m).fma(FloatVector.broadcast(S, w[wo + j + 3]), s3);
                }
                for (; j < n; j++, row += stride) {
                    s0 = FloatVector.fromArray(S, a, row, m).fma(FloatVector.broadcast(S, w[wo + j]), s0);
                }
                FloatVector sum = s0.add(s1).add(s2.add(s3));
                if (accumulate) sum = sum.add(FloatVector.fromArray(S, out, oo + d, m));
                sum.intoArray(out, oo + d, m);
            }
        }
    }

    // work arrays of the thread running a head's task, kept between calls: a head's keys or values transposed
    // or their gather offsets, the offsets of a last partial block, its scores, its dS
    private static final WorkArrays<float[]> PACKED_KEYS = WorkArrays.floats(), PACKED_VALUES = WorkArrays.floats();
    private static final WorkArrays<int[]> KEY_GATHER = WorkArrays.ints(), VALUE_GATHER = WorkArrays.ints();
    private static final WorkArrays<int[]> LAST_BLOCK_GATHER = WorkArrays.ints();
    private static final WorkArrays<float[]> SCORES = WorkArrays.floats(), SCORE_GRADIENTS = WorkArrays.floats();

    static int roundUp(int n) {
        return (n + L - 1) / L * L;
    }

    /** Query head h of batch b: out and, if probs is not null, the attention weights. */
    static void forwardHead(float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] out, int oo,
                            float[] probs, int po, int b, int h, int tq, int tk, int kvCap, int heads, int kvHeads, int hd) {
        int kh = h / (heads / kvHeads);
        int kvBase = (b * kvCap * kvHeads + kh) * hd, kvStride = kvHeads * hd;
        HeadRows keys = HeadRows.of(k, ko + kvBase, kvStride, hd, tk, tq >= PACK_MIN_QUERIES, PACKED_KEYS, KEY_GATHER);
        HeadRows values = HeadRows.of(v, vo + kvBase, kvStride, hd, tk, false, PACKED_VALUES, VALUE_GATHER);
        attend(keys, values, q, qo, out, oo, probs, po, b, h, tq, tk, heads, hd);
    }

    /**
     * Query head h of batch 1 over a cache whose keys are held transposed, keysT (kvHeads, headDim, kvCapacity), as
     * decoding keeps them: the packed path's operations, with the packing done once per token by the caller.
     */
    static void forwardHeadKeysTransposed(float[] q, int qo, float[] keysT, int kto, float[] v, int vo, float[] out, int oo,
                                          int h, int tq, int tk, int kvCap, int heads, int kvHeads, int hd) {
        int kh = h / (heads / kvHeads);
        HeadRows keys = HeadRows.transposed(keysT, kto + kh * hd * kvCap, kvCap, hd);
        HeadRows values = HeadRows.of(v, vo + kh * hd, kvHeads * hd, hd, tk, false, PACKED_VALUES, VALUE_GATHER);
        attend(keys, values, q, qo, out, oo, null, 0, 0, h, tq, tk, heads, hd);
    }

    /** Scores, softmax and the weighted sum of values for the tq queries of head h of batch b. */
    private static void attend(HeadRows keys, HeadRows values, float[] q, int qo, float[] out, int oo, float[] probs, int po,
                               int b, int h, int tq, int tk, int heads, int hd) {
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] p = SCORES.atLeast(roundUp(tk)); // (tk) scores, then weights; read only up to the query's last key
        for (int t = 0; t < tq; t++) {
            int n = tk - tq + t + 1; // the query attends to keys 0..n-1
            int row = ((b * tq + t) * heads + h) * hd;
            keys.dots(q, qo + row, n, p, 0);
            SimdSoftmax.scaleRow(p, 0, scale, n);
            SimdSoftmax.softmaxRow(p, 0, p, 0, n);
            values.weightedSum(p, 0, n, out, oo + row, false);
            if (probs != null) {
                int pr = po + ((b * heads + h) * tq + t) * tk;
                System.arraycopy(p, 0, probs, pr, n);
                java.util.Arrays.fill(probs, pr + n, pr + tk, 0f);
            }
        }
    }

    /**
     * Gradients for kv head kh of batch b and the query heads that read it, in head order, so dk and dv
     * (shared by those heads) receive their terms in a fixed order. With S = scale q.k and O = P V:
     * dP_j = dO . v_j; dS_j = P_j (dP_j - sum_i P_i dP_i) scale; dq += sum_j dS_j k_j per query, then per
     * head dk += dS^T q and dv += P^T dO. kvCapacity is tk. dq, dk or dv may be null.
     */
    static void backwardKvHead(float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] probs, int po,
                               float[] dOut, int go, float[] dq, int dqo, float[] dk, int dko, float[] dv, int dvo,
                               int b, int kh, int tq, int tk, int heads, int kvHeads, int hd) {
        int group = heads / kvHeads;
        int kvBase = (b * tk * kvHeads + kh) * hd, kvStride = kvHeads * hd, qStride = heads * hd;
        HeadRows keys = HeadRows.of(k, ko + kvBase, kvStride, hd, tk, false, PACKED_KEYS, KEY_GATHER);
        HeadRows values = HeadRows.of(v, vo + kvBase, kvStride, hd, tk, tq * group >= PACK_MIN_QUERIES, PACKED_VALUES, VALUE_GATHER);
        float scale = (float) (1.0 / Math.sqrt(hd));
        int tkPad = roundUp(tk);
        float[] ds = SCORE_GRADIENTS.atLeast(tq * tkPad); // (tq, tk) dP, then dS, of one query head; read only up to each query's last key
        for (int h = kh * group; h < (kh + 1) * group; h++) {
            int pHead = po + (b * heads + h) * tq * tk, qHead = (b * tq * heads + h) * hd;
            for (int t = 0; t < tq; t++) {
                int n = tk - tq + t + 1;
                int row = qHead + t * qStride, pr = pHead + t * tk, dr = t * tkPad;
                values.dots(dOut, go + row, n, ds, dr);
                float dot = weightedDot(probs, pr, ds, dr, n);
                int j = 0;
                for (int bound = S.loopBound(n); j < bound; j += L) {
                    FloatVector pj = FloatVector.fromArray(S, probs, pr + j);
                    pj.mul(FloatVector.fromArray(S, ds, dr + j).sub(dot)).mul(scale).intoArray(ds, dr + j);
                }
                for (; j < n; j++) ds[dr + j] = probs[pr + j] * (ds[dr + j] - dot) * scale;
                if (dq != null) keys.weightedSum(ds, dr, n, dq, dqo + row, true);
            }
            if (dk != null) addTransposedProducts(ds, 0, tkPad, q, qo + qHead, qStride, dk, dko + kvBase, kvStride, tq, tk, hd);
            if (dv != null) addTransposedProducts(probs, pHead, tk, dOut, go + qHead, qStride, dv, dvo + kvBase, kvStride, tq, tk, hd);
        }
    }

    /**
     * dst_j += sum over the queries t that see key j (t >= j - (tk - tq)), in increasing t, of w[t][j] * x_t,
     * for every key j < tk: the products dk += dS^T q and dv += P^T dO. Rows (hd long) sit at wo + t * wStride
     * (w), xo + t * xStride (x) and dsto + j * dstStride (dst); only the w[t][j] of keys query t sees are read.
     * Keys go four at a time so that each x_t loaded serves four fmas; a key left over goes alone, with the
     * same arithmetic (one fma chain from zero per key and lane).
     */
    static void addTransposedProducts(float[] w, int wo, int wStride, float[] x, int xo, int xStride,
                                      float[] dst, int dsto, int dstStride, int tq, int tk, int hd) {
        int shift = tk - tq; // query t sees keys 0..shift + t
        int j = 0;
        for (; j + 4 <= tk; j += 4) {
            int tFirst = Math.max(0, j - shift), tAll = Math.max(0, j + 3 - shift);
            for (int d = 0; d < hd; d += L) {
                VectorMask<Float> m = S.indexInRange(d, hd);
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                int t = tFirst;
                for (; t < tAll; t++) { // keys j + 1.. may not be visible yet
                    int last = shift + t, wr = wo + t * wStride + j;
                    FloatVector xt = FloatVector.fromArray(S, x, xo + t * xStride + d, m);
                    a0 = xt.fma(FloatVector.broadcast(S, w[wr]), a0);
                    if (j + 1 <= last) a1 = xt.fma(FloatVector.broadcast(S, w[wr + 1]), a1);
                    if (j + 2 <= last) a2 = xt.fma(FloatVector.broadcast(S, w[wr + 2]), a2);
                }
                for (; t < tq; t++) {
                    int wr = wo + t * wStride + j;
                    FloatVector xt = FloatVector.fromArray(S, x, xo + t * xStride + d, m);
                    a0 = xt.fma(FloatVector.broadcast(S, w[wr]), a0);
                    a1 = xt.fma(FloatVector.broadcast(S, w[wr + 1]), a1);
                    a2 = xt.fma(FloatVector.broadcast(S, w[wr + 2]), a2);
                    a3 = xt.fma(FloatVector.broadcast(S, w[wr + 3]), a3);
                }
                int r = dsto + j * dstStride + d;
                a0.add(FloatVector.fromArray(S, dst, r, m)).intoArray(dst, r, m);
                a1.add(FloatVector.fromArray(S, dst, r + dstStride, m)).intoArray(dst, r + dstStride, m);
                a2.add(FloatVector.fromArray(S, dst, r + 2 * dstStride, m)).intoArray(dst, r + 2 * dstStride, m);
                a3.add(FloatVector.fromArray(S, dst, r + 3 * dstStride, m)).intoArray(dst, r + 3 * dstStride, m);
            }
        }
        for (; j < tk; j++) {
            for (int d = 0; d < hd; d += L) {
                VectorMask<Float> m = S.indexInRange(d, hd);
                FloatVector a = FloatVector.zero(S);
                for (int t = Math.max(0, j - shift); t < tq; t++) {
                    a = FloatVector.fromArray(S, x, xo + t * xStride + d, m).fma(FloatVector.broadcast(S, w[wo + t * wStride + j]), a);
                }
                int r = dsto + j * dstStride + d;
                a.add(FloatVector.fromArray(S, dst, r, m)).intoArray(dst, r, m);
            }
        }
    }

    /** sum over j < n of p[po + j] * x[xo + j], in lanes then a fixed fold, then the tail. */
    private static float weightedDot(float[] p, int po, float[] x, int xo, int n) {
        FloatVector acc = FloatVector.zero(S);
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            acc = FloatVector.fromArray(S, p, po + j).fma(FloatVector.fromArray(S, x, xo + j), acc);
        }
        float s = LaneMath.sum(acc);
        for (; j < n; j++) s = Math.fma(p[po + j], x[xo + j], s);
        return s;
    }
}
