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
                SimdMatmul.transposeRows(a, base, stride, rows, headDim, t, 0, padded);
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
                // Each block's 16 sums are chains of headDim dependent fmas, so blocks go eight (else four) at a time
                // for independent chains; a last group that would run past the end is moved back to end there and
                // computes some blocks again, to the same values. Rows are padded long; blocks past a row's end (only
                // a caller's transposed cache, whose capacity need not be a multiple of L) read zeros there, in lanes
                // past n.
                int full = Math.min(nPad, padded / L * L); // blocks read whole
                if (full >= 8 * L) {
                    for (; j + 8 * L <= full; j += 8 * L) dots8(x, xo, j, dots, dotsOff);
                    if (j < full) dots8(x, xo, full - 8 * L, dots, dotsOff);
                    j = full;
                } else if (full >= 4 * L) {
                    dots4(x, xo, 0, dots, dotsOff);
                    if (full > 4 * L) dots4(x, xo, full - 4 * L, dots, dotsOff);
                    j = full;
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

        /**
         * The scores of query t of tq (x row xo, n keys) at dots[at ..]: with transposed rows, a query that starts a
         * whole group of four computes the group's scores (its next three at xo + i * xStride into at + i * dStride)
         * and the other three find theirs done; left-over queries and gathered keys go one at a time.
         */
        void dotsOfQuery(float[] x, int xo, int xStride, int t, int tq, int n, float[] dots, int at, int dStride) {
            if (transposed == null || t >= tq / 4 * 4) dots(x, xo, n, dots, at);
            else if (t % 4 == 0) dots4Queries(x, xo, xStride, n + 3, dots, at, dStride);
        }

        /** Blocks j .. j + 8L of the transposed rows, eight chains. */
        private void dots8(float[] x, int xo, int j, float[] dots, int dotsOff) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int d = 0, row = tBase + j; d < headDim; d++, row += padded) {
                FloatVector xd = FloatVector.broadcast(S, x[xo + d]);
                a0 = FloatVector.fromArray(S, transposed, row).fma(xd, a0);
                a1 = FloatVector.fromArray(S, transposed, row + L).fma(xd, a1);
                a2 = FloatVector.fromArray(S, transposed, row + 2 * L).fma(xd, a2);
                a3 = FloatVector.fromArray(S, transposed, row + 3 * L).fma(xd, a3);
                a4 = FloatVector.fromArray(S, transposed, row + 4 * L).fma(xd, a4);
                a5 = FloatVector.fromArray(S, transposed, row + 5 * L).fma(xd, a5);
                a6 = FloatVector.fromArray(S, transposed, row + 6 * L).fma(xd, a6);
                a7 = FloatVector.fromArray(S, transposed, row + 7 * L).fma(xd, a7);
            }
            int o = dotsOff + j;
            a0.intoArray(dots, o);
            a1.intoArray(dots, o + L);
            a2.intoArray(dots, o + 2 * L);
            a3.intoArray(dots, o + 3 * L);
            a4.intoArray(dots, o + 4 * L);
            a5.intoArray(dots, o + 5 * L);
            a6.intoArray(dots, o + 6 * L);
            a7.intoArray(dots, o + 7 * L);
        }

        /** Blocks j .. j + 4L of the transposed rows, four chains. */
        private void dots4(float[] x, int xo, int j, float[] dots, int dotsOff) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0, row = tBase + j; d < headDim; d++, row += padded) {
                FloatVector xd = FloatVector.broadcast(S, x[xo + d]);
                a0 = FloatVector.fromArray(S, transposed, row).fma(xd, a0);
                a1 = FloatVector.fromArray(S, transposed, row + L).fma(xd, a1);
                a2 = FloatVector.fromArray(S, transposed, row + 2 * L).fma(xd, a2);
                a3 = FloatVector.fromArray(S, transposed, row + 3 * L).fma(xd, a3);
            }
            int o = dotsOff + j;
            a0.intoArray(dots, o);
            a1.intoArray(dots, o + L);
            a2.intoArray(dots, o + 2 * L);
            a3.intoArray(dots, o + 3 * L);
        }

        /**
         * {@link #dots} for four queries at once, x rows xo + i * xStride into dots rows dotsOff + i * dStride (i < 4),
         * over the keys of the longest, n: each key vector loaded serves four queries, so a query's pass over the
         * keys costs a quarter of the cache traffic (the keys of a long context do not stay in L1). A query's lanes
         * past its own n are left undefined, as in dots. Transposed rows only.
         */
        void dots4Queries(float[] x, int xo, int xStride, int n, float[] dots, int dotsOff, int dStride) {
            int nPad = roundUp(n), full = Math.min(nPad, padded / L * L);
            if (full < nPad) { // a block past a row's end of a caller's cache: each query alone, masked there
                for (int i = 0; i < 4; i++) dots(x, xo + i * xStride, n, dots, dotsOff + i * dStride);
                return;
            }
            int j = 0;
            if (full >= 4 * L) {
                for (; j + 4 * L <= full; j += 4 * L) dots4x4(x, xo, xStride, j, dots, dotsOff, dStride);
                if (j < full) dots4x4(x, xo, xStride, full - 4 * L, dots, dotsOff, dStride); // again over done blocks: same values
                j = full;
            }
            for (; j < full; j += L) {
                FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
                for (int d = 0, row = tBase + j; d < headDim; d++, row += padded) {
                    FloatVector k = FloatVector.fromArray(S, transposed, row);
                    c0 = k.fma(FloatVector.broadcast(S, x[xo + d]), c0);
                    c1 = k.fma(FloatVector.broadcast(S, x[xo + xStride + d]), c1);
                    c2 = k.fma(FloatVector.broadcast(S, x[xo + 2 * xStride + d]), c2);
                    c3 = k.fma(FloatVector.broadcast(S, x[xo + 3 * xStride + d]), c3);
                }
                c0.intoArray(dots, dotsOff + j);
                c1.intoArray(dots, dotsOff + dStride + j);
                c2.intoArray(dots, dotsOff + 2 * dStride + j);
                c3.intoArray(dots, dotsOff + 3 * dStride + j);
            }
        }

        /** Four queries by key blocks j .. j + 4L: sixteen chains. */
        private void dots4x4(float[] x, int xo, int xStride, int j, float[] dots, int dotsOff, int dStride) {
            FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
            int x1 = xo + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
            for (int d = 0, row = tBase + j; d < headDim; d++, row += padded) {
                FloatVector k0 = FloatVector.fromArray(S, transposed, row), k1 = FloatVector.fromArray(S, transposed, row + L);
                FloatVector k2 = FloatVector.fromArray(S, transposed, row + 2 * L), k3 = FloatVector.fromArray(S, transposed, row + 3 * L);
                FloatVector q = FloatVector.broadcast(S, x[xo + d]);
                c00 = k0.fma(q, c00); c01 = k1.fma(q, c01); c02 = k2.fma(q, c02); c03 = k3.fma(q, c03);
                q = FloatVector.broadcast(S, x[x1 + d]);
                c10 = k0.fma(q, c10); c11 = k1.fma(q, c11); c12 = k2.fma(q, c12); c13 = k3.fma(q, c13);
                q = FloatVector.broadcast(S, x[x2 + d]);
                c20 = k0.fma(q, c20); c21 = k1.fma(q, c21); c22 = k2.fma(q, c22); c23 = k3.fma(q, c23);
                q = FloatVector.broadcast(S, x[x3 + d]);
                c30 = k0.fma(q, c30); c31 = k1.fma(q, c31); c32 = k2.fma(q, c32); c33 = k3.fma(q, c33);
            }
            int o = dotsOff + j;
            c00.intoArray(dots, o); c01.intoArray(dots, o + L); c02.intoArray(dots, o + 2 * L); c03.intoArray(dots, o + 3 * L);
            o += dStride;
            c10.intoArray(dots, o); c11.intoArray(dots, o + L); c12.intoArray(dots, o + 2 * L); c13.intoArray(dots, o + 3 * L);
            o += dStride;
            c20.intoArray(dots, o); c21.intoArray(dots, o + L); c22.intoArray(dots, o + 2 * L); c23.intoArray(dots, o + 3 * L);
            o += dStride;
            c30.intoArray(dots, o); c31.intoArray(dots, o + L); c32.intoArray(dots, o + 2 * L); c33.intoArray(dots, o + 3 * L);
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
            int d = 0;
            // three L-wide column blocks per pass over the rows: twelve chains of fma instead of four
            for (; d + 3 * L <= headDim; d += 3 * L) weightedSum3(w, wo, n, out, oo + d, base + d, accumulate);
            for (; d < headDim; d += L) {
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

        /** weightedSum's arithmetic for the three whole column blocks from row offset at (out from o). */
        private void weightedSum3(float[] w, int wo, int n, float[] out, int o, int at, boolean accumulate) {
            FloatVector p0 = FloatVector.zero(S), p1 = p0, p2 = p0, p3 = p0; // column block 0, by j mod 4
            FloatVector q0 = p0, q1 = p0, q2 = p0, q3 = p0;                   // column block 1
            FloatVector r0 = p0, r1 = p0, r2 = p0, r3 = p0;                   // column block 2
            int j = 0, row = at;
            for (; j + 4 <= n; j += 4, row += 4 * stride) {
                FloatVector w0 = FloatVector.broadcast(S, w[wo + j]), w1 = FloatVector.broadcast(S, w[wo + j + 1]);
                FloatVector w2 = FloatVector.broadcast(S, w[wo + j + 2]), w3 = FloatVector.broadcast(S, w[wo + j + 3]);
                int row1 = row + stride, row2 = row + 2 * stride, row3 = row + 3 * stride;
                p0 = FloatVector.fromArray(S, a, row).fma(w0, p0);
                q0 = FloatVector.fromArray(S, a, row + L).fma(w0, q0);
                r0 = FloatVector.fromArray(S, a, row + 2 * L).fma(w0, r0);
                p1 = FloatVector.fromArray(S, a, row1).fma(w1, p1);
                q1 = FloatVector.fromArray(S, a, row1 + L).fma(w1, q1);
                r1 = FloatVector.fromArray(S, a, row1 + 2 * L).fma(w1, r1);
                p2 = FloatVector.fromArray(S, a, row2).fma(w2, p2);
                q2 = FloatVector.fromArray(S, a, row2 + L).fma(w2, q2);
                r2 = FloatVector.fromArray(S, a, row2 + 2 * L).fma(w2, r2);
                p3 = FloatVector.fromArray(S, a, row3).fma(w3, p3);
                q3 = FloatVector.fromArray(S, a, row3 + L).fma(w3, q3);
                r3 = FloatVector.fromArray(S, a, row3 + 2 * L).fma(w3, r3);
            }
            for (; j < n; j++, row += stride) {
                FloatVector wj = FloatVector.broadcast(S, w[wo + j]);
                p0 = FloatVector.fromArray(S, a, row).fma(wj, p0);
                q0 = FloatVector.fromArray(S, a, row + L).fma(wj, q0);
                r0 = FloatVector.fromArray(S, a, row + 2 * L).fma(wj, r0);
            }
            FloatVector p = p0.add(p1).add(p2.add(p3)), q = q0.add(q1).add(q2.add(q3)), r = r0.add(r1).add(r2.add(r3));
            if (accumulate) {
                p = p.add(FloatVector.fromArray(S, out, o));
                q = q.add(FloatVector.fromArray(S, out, o + L));
                r = r.add(FloatVector.fromArray(S, out, o + 2 * L));
            }
            p.intoArray(out, o);
            q.intoArray(out, o + L);
            r.intoArray(out, o + 2 * L);
        }
    }

    // work arrays of the thread running a head's task, kept between calls: a head's keys or values transposed
    // or their gather offsets, the offsets of a last partial block, its scores, its dS
    private static final WorkArrays<float[]> PACKED_KEYS = WorkArrays.floats(), PACKED_VALUES = WorkArrays.floats();
    private static final WorkArrays<int[]> KEY_GATHER = WorkArrays.ints(), VALUE_GATHER = WorkArrays.ints();
    private static final WorkArrays<int[]> LAST_BLOCK_GATHER = WorkArrays.ints();
    private static final WorkArrays<float[]> SCORES = WorkArrays.floats(), SCORE_GRADIENTS = WorkArrays.floats();
    private static final WorkArrays<float[]> RECOMPUTED_WEIGHTS = WorkArrays.floats(), RECOMPUTED_OUTPUT = WorkArrays.floats();

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
        int tkPad = roundUp(tk), qStride = heads * hd;
        float[] p = SCORES.atLeast(4 * tkPad); // (4, tk) scores, then weights, of up to four queries; read up to each one's last key
        for (int t = 0; t < tq; t++) {
            int n = tk - tq + t + 1; // the query attends to keys 0..n-1
            int row = ((b * tq + t) * heads + h) * hd, slot = t % 4;
            keys.dotsOfQuery(q, qo + row, qStride, t, tq, n, p, slot * tkPad, tkPad);
            softmaxAndSum(values, p, slot * tkPad, n, scale, out, oo + row);
            if (probs != null) {
                int pr = po + ((b * heads + h) * tq + t) * tk;
                System.arraycopy(p, slot * tkPad, probs, pr, n);
                java.util.Arrays.fill(probs, pr + n, pr + tk, 0f);
            }
        }
    }

    /** One query's scores at p[at ..] (n of them) to weights, and out = their sum of the value rows. */
    private static void softmaxAndSum(HeadRows values, float[] p, int at, int n, float scale, float[] out, int oo) {
        SimdSoftmax.scaleRow(p, at, scale, n);
        SimdSoftmax.softmaxRow(p, at, p, at, n);
        values.weightedSum(p, at, n, out, oo, false);
    }

    /**
     * {@link #backwardKvHead} without kept weights: the forward of the query heads that read kv head kh (batch b) runs
     * again, the same per-head computation as the forward's, into this thread's scratch, probs (group, tq, tk) and an
     * unread output (tq, heads, hd); the offsets are shifted so that the usual indexing lands in them. Then the backward
     * reads those weights exactly as it reads kept ones, so the gradients have the same bits.
     */
    static void backwardKvHeadRecomputed(float[] q, int qo, float[] k, int ko, float[] v, int vo, float[] dOut, int go,
                                         float[] dq, int dqo, float[] dk, int dko, float[] dv, int dvo,
                                         int b, int kh, int tq, int tk, int heads, int kvHeads, int hd) {
        int group = heads / kvHeads, h0 = kh * group;
        float[] probs = RECOMPUTED_WEIGHTS.atLeast(group * tq * tk); // (group, tq, tk)
        float[] out = RECOMPUTED_OUTPUT.atLeast(tq * heads * hd);    // (tq, heads, hd), written and not read
        int po = -(b * heads + h0) * tq * tk, oo = -b * tq * heads * hd;
        for (int h = h0; h < h0 + group; h++) forwardHead(q, qo, k, ko, v, vo, out, oo, probs, po, b, h, tq, tk, tk, heads, kvHeads, hd);
        backwardKvHead(q, qo, k, ko, v, vo, probs, po, dOut, go, dq, dqo, dk, dko, dv, dvo, b, kh, tq, tk, heads, kvHeads, hd);
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
                values.dotsOfQuery(dOut, go + row, qStride, t, tq, n, ds, dr, tkPad); // dP
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
            int tFirst = Math.max(0, j - shift), tAll = Math.max(0, j + 3 - shift), d = 0;
            // three whole column blocks at a time: each w[t][j..j+3] loaded serves twelve fmas instead of four
            for (; d + 3 * L <= hd; d += 3 * L) {
                addFourKeysThreeBlocks(w, wo, wStride, x, xo + d, xStride, dst, dsto + j * dstStride + d, dstStride, j, shift, tFirst, tAll, tq);
            }
            for (; d < hd; d += L) {
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

    /**
     * {@link #addTransposedProducts} for keys j .. j + 3 and the three column blocks from x's offset xo (dst from r):
     * the same chains, one per key and lane, over t ascending from zero, so the same bits as one block at a time.
     */
    private static void addFourKeysThreeBlocks(float[] w, int wo, int wStride, float[] x, int xo, int xStride, float[] dst, int r,
                                               int dstStride, int j, int shift, int tFirst, int tAll, int tq) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0; // column block 0, keys j .. j + 3
        FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;                   // column block 1
        FloatVector c0 = a0, c1 = a0, c2 = a0, c3 = a0;                   // column block 2
        int t = tFirst;
        for (; t < tAll; t++) { // keys j + 1.. may not be visible yet
            int last = shift + t, wr = wo + t * wStride + j, xr = xo + t * xStride;
            FloatVector xa = FloatVector.fromArray(S, x, xr), xb = FloatVector.fromArray(S, x, xr + L), xc = FloatVector.fromArray(S, x, xr + 2 * L);
            FloatVector w0 = FloatVector.broadcast(S, w[wr]);
            a0 = xa.fma(w0, a0); b0 = xb.fma(w0, b0); c0 = xc.fma(w0, c0);
            if (j + 1 <= last) { FloatVector w1 = FloatVector.broadcast(S, w[wr + 1]); a1 = xa.fma(w1, a1); b1 = xb.fma(w1, b1); c1 = xc.fma(w1, c1); }
            if (j + 2 <= last) { FloatVector w2 = FloatVector.broadcast(S, w[wr + 2]); a2 = xa.fma(w2, a2); b2 = xb.fma(w2, b2); c2 = xc.fma(w2, c2); }
        }
        for (; t < tq; t++) {
            int wr = wo + t * wStride + j, xr = xo + t * xStride;
            FloatVector xa = FloatVector.fromArray(S, x, xr), xb = FloatVector.fromArray(S, x, xr + L), xc = FloatVector.fromArray(S, x, xr + 2 * L);
            FloatVector w0 = FloatVector.broadcast(S, w[wr]), w1 = FloatVector.broadcast(S, w[wr + 1]);
            FloatVector w2 = FloatVector.broadcast(S, w[wr + 2]), w3 = FloatVector.broadcast(S, w[wr + 3]);
            a0 = xa.fma(w0, a0); b0 = xb.fma(w0, b0); c0 = xc.fma(w0, c0);
            a1 = xa.fma(w1, a1); b1 = xb.fma(w1, b1); c1 = xc.fma(w1, c1);
            a2 = xa.fma(w2, a2); b2 = xb.fma(w2, b2); c2 = xc.fma(w2, c2);
            a3 = xa.fma(w3, a3); b3 = xb.fma(w3, b3); c3 = xc.fma(w3, c3);
        }
        int r1 = r + dstStride, r2 = r1 + dstStride, r3 = r2 + dstStride;
        a0.add(FloatVector.fromArray(S, dst, r)).intoArray(dst, r);
        b0.add(FloatVector.fromArray(S, dst, r + L)).intoArray(dst, r + L);
        c0.add(FloatVector.fromArray(S, dst, r + 2 * L)).intoArray(dst, r + 2 * L);
        a1.add(FloatVector.fromArray(S, dst, r1)).intoArray(dst, r1);
        b1.add(FloatVector.fromArray(S, dst, r1 + L)).intoArray(dst, r1 + L);
        c1.add(FloatVector.fromArray(S, dst, r1 + 2 * L)).intoArray(dst, r1 + 2 * L);
        a2.add(FloatVector.fromArray(S, dst, r2)).intoArray(dst, r2);
        b2.add(FloatVector.fromArray(S, dst, r2 + L)).intoArray(dst, r2 + L);
        c2.add(FloatVector.fromArray(S, dst, r2 + 2 * L)).intoArray(dst, r2 + 2 * L);
        a3.add(FloatVector.fromArray(S, dst, r3)).intoArray(dst, r3);
        b3.add(FloatVector.fromArray(S, dst, r3 + L)).intoArray(dst, r3 + L);
        c3.add(FloatVector.fromArray(S, dst, r3 + 2 * L)).intoArray(dst, r3 + 2 * L);
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
