package io.piece4j.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * C (m, n) (+)= op(A) (m, k) @ op(B) (k, n) in float32, GotoBLAS style. For each chunk of NC columns and
 * each block of KC steps of k, B is packed into strips of NR columns (kc rows each, contiguous), every block
 * of MC rows of A into slivers of MR rows, and a register-blocked micro-kernel keeps an MR x NR tile of C in
 * vector registers while it streams one A sliver and one B strip. Packing absorbs the transposes, so all
 * four layouts run the same kernel. Products with fewer than MR rows (token-by-token decoding) take a
 * dot-product path (B stored transposed, the linear layer x W^T) or a row-axpy path instead.
 *
 * <p>Determinism: every C(i, j) is summed over p in a fixed order that depends only on k and the vector
 * width: KC blocks in ascending order (the block size comes from k alone), each block a chain of fma from
 * p = 0 up, added to C when the block ends. Threads split only over tiles of C, so the result is
 * bit-identical for any thread count and any partition.
 */
public final class SimdMatmul {
    private SimdMatmul() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();
    /** Micro-tile: MR rows by NR = 2 vectors of columns: 12 accumulators + 2 B vectors + 1 A broadcast fit
     *  even the 16 registers of AVX2, and two fma per B load keep both fma pipes busy. */
    static final int MR = 6, NR = 2 * L;
    /** KC x NR B strip (32 KB with 16 lanes) stays in L1 while MC / MR A slivers pass over it; the MC x KC
     *  A block (72 KB) stays in L2. NC bounds the packed B panel (KC x NC, 2 MB). */
    private static final int KC = 256, MC = 12 * MR, NC = 2048;
    /** Below this many columns per task the A block is repacked too often for the work it serves. */
    private static final int MIN_STRIPS_PER_TASK = 4;
    /** Column chunk of one skinny task: a few rows of C this wide stay in L1. */
    private static final int SKINNY_COLS = 1024;

    private static final VectorMask<Float>[] TAIL = tailMasks();

    // packed panels, reused across calls: B by the calling thread (all workers read it), A by each worker
    private static final ThreadLocal<float[]> B_PACK = ThreadLocal.withInitial(() -> new float[KC * NC]);
    private static final ThreadLocal<float[]> A_PACK = ThreadLocal.withInitial(() -> new float[MC * KC]);

    /**
     * C (m, n) = (accumulate ? C : 0) + op(A) (m, k) @ op(B) (k, n), row-major, with offsets.
     * A is stored (m, k) if !transA else (k, m); B is stored (k, n) if !transB else (n, k).
     */
    public static void matmul(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                              float[] c, int cOff, int m, int n, int k, boolean accumulate, WorkerPool pool) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (!accumulate) Arrays.fill(c, cOff, cOff + m * n, 0f);
            return;
        }
        if (m < MR) {
            if (transB) skinnyDot(a, aOff, transA, b, bOff, c, cOff, m, n, k, accumulate, pool);
            else skinnyAxpy(a, aOff, transA, b, bOff, c, cOff, m, n, k, accumulate, pool);
            return;
        }
        // equal KC blocks from k alone (k = 288 gives 2 x 144, not 256 + 32): a short last block would
        // spend as much on loading and storing C as on arithmetic
        int kBlocks = ceilDiv(k, KC), kc0 = ceilDiv(k, kBlocks);
        int mBlocks = ceilDiv(m, MC), mc0 = roundUp(ceilDiv(m, mBlocks), MR);
        mBlocks = ceilDiv(m, mc0);
        float[] bPack = B_PACK.get();
        for (int j0 = 0; j0 < n; j0 += NC) {
            int nc = Math.min(NC, n - j0), strips = ceilDiv(nc, NR);
            // enough tasks to keep every thread busy to the end, but not so narrow that packing A dominates
            int groups = Math.clamp(ceilDiv(3 * pool.threads(), mBlocks), 1, Math.max(1, strips / MIN_STRIPS_PER_TASK));
            int stripsPerGroup = ceilDiv(strips, groups);
            groups = ceilDiv(strips, stripsPerGroup);
            final int jc = j0, tasksPerBlock = groups;
            for (int kb = 0; kb < kBlocks; kb++) {
                final int p0 = kb * kc0, kc = Math.min(kc0, k - p0);
                final boolean overwrite = !accumulate && kb == 0;
                pool.parallelFor(strips, s -> packB(b, bOff, transB, k, n, jc, nc, p0, kc, s, bPack));
                pool.parallelFor(mBlocks * tasksPerBlock, task -> {
                    int i0 = (task / tasksPerBlock) * mc0, mc = Math.min(mc0, m - i0);
                    int s0 = (task % tasksPerBlock) * stripsPerGroup, s1 = Math.min(strips, s0 + stripsPerGroup);
                    float[] aPack = A_PACK.get();
                    packA(a, aOff, transA, m, k, i0, mc, p0, kc, aPack);
                    for (int s = s0; s < s1; s++) {
                        int col = jc + s * NR, nr = Math.min(NR, n - col);
                        for (int ir = 0; ir < mc; ir += MR) {
                            kernel(aPack, ir * kc, bPack, s * kc * NR, kc, c, cOff + (i0 + ir) * n + col, n,
                                    Math.min(MR, mc - ir), nr, overwrite);
                        }
                    }
                });
            }
        }
    }

    /** Strip s of the panel, B rows p0..p0+kc, columns jc + s*NR ..: bPack[s*kc*NR + p*NR + j], zero past n. */
    private static void packB(float[] b, int bOff, boolean transB, int k, int n, int jc, int nc, int p0, int kc,
                              int s, float[] bPack) {
        int col = jc + s * NR, nr = Math.min(NR, jc + nc - col), base = s * kc * NR;
        if (!transB) {
            for (int p = 0; p < kc; p++) {
                int src = bOff + (p0 + p) * n + col, dst = base + p * NR;
                System.arraycopy(b, src, bPack, dst, nr);
                if (nr < NR) Arrays.fill(bPack, dst + nr, dst + NR, 0f);
            }
        } else {
            // B stored (n, k): column j of op(B) is row j of b, contiguous in p
            for (int j = 0; j < NR; j++) {
                if (j < nr) {
                    int src = bOff + (col + j) * k + p0;
                    for (int p = 0; p < kc; p++) bPack[base + p * NR + j] = b[src + p];
                } else {
                    for (int p = 0; p < kc; p++) bPack[base + p * NR + j] = 0f;
                }
            }
        }
    }

    /** Rows i0..i0+mc of op(A), columns p0..p0+kc, as MR-row slivers: aPack[ir*kc + p*MR + r] = A(i0+ir+r, p0+p). */
    private static void packA(float[] a, int aOff, boolean transA, int m, int k, int i0, int mc, int p0, int kc,
                              float[] aPack) {
        for (int ir = 0; ir < mc; ir += MR) {
            int mr = Math.min(MR, mc - ir), base = ir * kc;
            if (!transA) {
                for (int r = 0; r < MR; r++) {
                    if (r < mr) {
                        int src = aOff + (i0 + ir + r) * k + p0;
                        for (int p = 0; p < kc; p++) aPack[base + p * MR + r] = a[src + p];
                    } else {
                        for (int p = 0; p < kc; p++) aPack[base + p * MR + r] = 0f;
                    }
                }
            } else {
                // A stored (k, m): row p holds column p of op(A), contiguous in i
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * m + i0 + ir, dst = base + p * MR;
                    for (int r = 0; r < mr; r++) aPack[dst + r] = a[src + r];
                    for (int r = mr; r < MR; r++) aPack[dst + r] = 0f;
                }
            }
        }
    }

    /**
     * C tile (mr x nr at c[cOff], row stride n) (+)= A sliver (MR x kc) @ B strip (kc x NR). Padding rows
     * and columns of the packs are zero; they are computed and not stored.
     */
    private static void kernel(float[] aPack, int aBase, float[] bPack, int bBase, int kc, float[] c, int cOff,
                               int n, int mr, int nr, boolean overwrite) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bBase + p * NR, ai = aBase + p * MR;
            FloatVector b0 = FloatVector.fromArray(S, bPack, bi);
            FloatVector b1 = FloatVector.fromArray(S, bPack, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, aPack[ai]);
            c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, aPack[ai + 1]);
            c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, aPack[ai + 2]);
            c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, aPack[ai + 3]);
            c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, aPack[ai + 4]);
            c40 = a4.fma(b0, c40); c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, aPack[ai + 5]);
            c50 = a5.fma(b0, c50); c51 = a5.fma(b1, c51);
        }
        storeRow(c, cOff, c00, c01, nr, overwrite);
        if (mr > 1) storeRow(c, cOff + n, c10, c11, nr, overwrite);
        if (mr > 2) storeRow(c, cOff + 2 * n, c20, c21, nr, overwrite);
        if (mr > 3) storeRow(c, cOff + 3 * n, c30, c31, nr, overwrite);
        if (mr > 4) storeRow(c, cOff + 4 * n, c40, c41, nr, overwrite);
        if (mr > 5) storeRow(c, cOff + 5 * n, c50, c51, nr, overwrite);
    }

    /** The first nr of the 2L columns v0 | v1 into (overwrite) or onto C row c[off ..]; masked at an edge. */
    private static void storeRow(float[] c, int off, FloatVector v0, FloatVector v1, int nr, boolean overwrite) {
        if (nr == NR) {
            if (!overwrite) {
                v0 = v0.add(FloatVector.fromArray(S, c, off));
                v1 = v1.add(FloatVector.fromArray(S, c, off + L));
            }
            v0.intoArray(c, off);
            v1.intoArray(c, off + L);
        } else {
            VectorMask<Float> m0 = TAIL[Math.min(nr, L)], m1 = TAIL[Math.max(nr - L, 0)];
            if (!overwrite) {
                v0 = v0.add(FloatVector.fromArray(S, c, off, m0));
                v1 = v1.add(FloatVector.fromArray(S, c, off + L, m1));
            }
            v0.intoArray(c, off, m0);
            v1.intoArray(c, off + L, m1);
        }
    }

    // ---------------------------------------------------------------- skinny products (m < MR)

    /**
     * B stored (n, k), the linear layer x W^T: C(i, j) is a dot product of two contiguous rows. Tasks take
     * blocks of columns; a row of B is read once for all m rows of A.
     */
    private static void skinnyDot(float[] a, int aOff, boolean transA, float[] b, int bOff, float[] c, int cOff,
                                  int m, int n, int k, boolean accumulate, WorkerPool pool) {
        float[] rows = opARows(a, aOff, transA, m, k);
        int rowsOff = rows == a ? aOff : 0;
        int block = Math.clamp(ceilDiv(n, 4 * pool.threads()), 1, 256);
        pool.parallelFor(ceilDiv(n, block), blk -> {
            int j1 = Math.min(n, (blk + 1) * block);
            for (int j = blk * block; j < j1; j++) {
                for (int i = 0; i < m; i++) {
                    float v = dot(rows, rowsOff + i * k, b, bOff + j * k, k);
                    int ci = cOff + i * n + j;
                    c[ci] = accumulate ? c[ci] + v : v;
                }
            }
        });
    }

    /**
     * B stored (k, n): row i of C accumulates the rows of B scaled by A(i, p), p ascending, as one fma chain
     * per element (vector lanes and the scalar tail alike). Tasks take chunks of columns; four rows of B
     * go into each load and store of C.
     */
    private static void skinnyAxpy(float[] a, int aOff, boolean transA, float[] b, int bOff, float[] c, int cOff,
                                   int m, int n, int k, boolean accumulate, WorkerPool pool) {
        float[] rows = opARows(a, aOff, transA, m, k);
        int rowsOff = rows == a ? aOff : 0;
        int width = Math.clamp(roundUp(ceilDiv(n, 2 * pool.threads()), L), L, SKINNY_COLS);
        pool.parallelFor(ceilDiv(n, width), chunk -> {
            int j0 = chunk * width, j1 = Math.min(n, j0 + width), vEnd = j0 + S.loopBound(j1 - j0);
            if (!accumulate) for (int i = 0; i < m; i++) Arrays.fill(c, cOff + i * n + j0, cOff + i * n + j1, 0f);
            int p = 0;
            for (; p + 4 <= k; p += 4) {
                int b0 = bOff + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
                for (int i = 0; i < m; i++) {
                    int ai = rowsOff + i * k + p, ci = cOff + i * n;
                    float a0 = rows[ai], a1 = rows[ai + 1], a2 = rows[ai + 2], a3 = rows[ai + 3];
                    FloatVector va0 = FloatVector.broadcast(S, a0), va1 = FloatVector.broadcast(S, a1);
                    FloatVector va2 = FloatVector.broadcast(S, a2), va3 = FloatVector.broadcast(S, a3);
                    int j = j0;
                    for (; j < vEnd; j += L) {
                        FloatVector acc = FloatVector.fromArray(S, c, ci + j);
                        acc = va0.fma(FloatVector.fromArray(S, b, b0 + j), acc);
                        acc = va1.fma(FloatVector.fromArray(S, b, b1 + j), acc);
                        acc = va2.fma(FloatVector.fromArray(S, b, b2 + j), acc);
                        acc = va3.fma(FloatVector.fromArray(S, b, b3 + j), acc);
                        acc.intoArray(c, ci + j);
                    }
                    for (; j < j1; j++) {
                        float acc = c[ci + j];
                        acc = Math.fma(a0, b[b0 + j], acc);
                        acc = Math.fma(a1, b[b1 + j], acc);
                        acc = Math.fma(a2, b[b2 + j], acc);
                        c[ci + j] = Math.fma(a3, b[b3 + j], acc);
                    }
                }
            }
            for (; p < k; p++) {
                int bp = bOff + p * n;
                for (int i = 0; i < m; i++) {
                    float ap = rows[rowsOff + i * k + p];
                    FloatVector va = FloatVector.broadcast(S, ap);
                    int ci = cOff + i * n, j = j0;
                    for (; j < vEnd; j += L)
                        va.fma(FloatVector.fromArray(S, b, bp + j), FloatVector.fromArray(S, c, ci + j)).intoArray(c, ci + j);
                    for (; j < j1; j++) c[ci + j] = Math.fma(ap, b[bp + j], c[ci + j]);
                }
            }
        });
    }

    /** op(A) (m, k) with contiguous rows: A itself unless it is stored transposed with more than one row. */
    private static float[] opARows(float[] a, int aOff, boolean transA, int m, int k) {
        if (!transA || m == 1) return a; // a (k, 1) column is already a contiguous row
        float[] rows = new float[m * k];
        for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) rows[i * k + p] = a[aOff + p * m + i];
        return rows;
    }

    /** Dot product with four vector accumulators combined in a fixed order, then a scalar tail. */
    static float dot(float[] x, int xo, float[] y, int yo, int len) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        int i = 0;
        for (; i + 4 * L <= len; i += 4 * L) {
            s0 = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), s0);
            s1 = FloatVector.fromArray(S, x, xo + i + L).fma(FloatVector.fromArray(S, y, yo + i + L), s1);
            s2 = FloatVector.fromArray(S, x, xo + i + 2 * L).fma(FloatVector.fromArray(S, y, yo + i + 2 * L), s2);
            s3 = FloatVector.fromArray(S, x, xo + i + 3 * L).fma(FloatVector.fromArray(S, y, yo + i + 3 * L), s3);
        }
        for (; i + L <= len; i += L) s0 = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), s0);
        // LaneMath.sum, not reduceLanes: the latter's order changes once the JIT compiles it
        float s = LaneMath.sum(s0.add(s1).add(s2.add(s3)));
        for (; i < len; i++) s = Math.fma(x[xo + i], y[yo + i], s);
        return s;
    }

    /** TAIL[t] selects the first t lanes, t = 0..L. */
    @SuppressWarnings({"unchecked", "rawtypes"}) // no generic arrays in Java
    private static VectorMask<Float>[] tailMasks() {
        VectorMask<Float>[] masks = new VectorMask[L + 1];
        for (int t = 0; t <= L; t++) masks[t] = S.indexInRange(0, t);
        return masks;
    }

    private static int ceilDiv(int x, int y) { return (x + y - 1) / y; }

    private static int roundUp(int x, int multiple) { return ceilDiv(x, multiple) * multiple; }
}
