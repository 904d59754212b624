package io.piece4j.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * C (m, n) (+)= op(A) (m, k) @ op(B) (k, n) in float32, GotoBLAS style: B is packed in panels of KC rows
 * by NR columns, A in blocks of MC rows by KC, and a register-blocked micro-kernel keeps an MR x NR tile of
 * C in vector registers while it streams both packed panels. Packing absorbs the transposes, so all four
 * layouts run the same kernel. Skinny products (m below MR, as in token-by-token decoding) take a
 * dot-product or axpy path instead.
 *
 * <p>Determinism: every element of C is a sum over p = 0..k-1 taken in the same order (KC blocks in
 * order, and within a block the same lane assignment), and threads split only over blocks of C, so the
 * result is bit-identical for any thread count.
 */
public final class SimdMatmul {
    private SimdMatmul() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();
    /** Micro-tile: MR rows by NR = 2 vectors of columns (12 accumulators with 16 lanes). */
    static final int MR = 6, NR = 2 * L;
    private static final int KC = 256, MC = 72;

    private static final ThreadLocal<float[]> A_PACK = ThreadLocal.withInitial(() -> new float[MC * KC]);

    public static void matmul(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                              float[] c, int cOff, int m, int n, int k, boolean accumulate, WorkerPool pool) {
        if (m == 0 || n == 0) return;
        if (!accumulate) zero(c, cOff, m, n, pool);
        if (k == 0) return;
        if (m < MR) {
            skinny(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, pool);
            return;
        }
        int nStrips = (n + NR - 1) / NR;
        float[] bPack = new float[KC * nStrips * NR];
        int mBlocks = (m + MC - 1) / MC;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            final int p0 = pc;
            // pack B(p0 .. p0+kc, all columns) strip by strip: strip s holds kc rows of NR columns
            pool.parallelFor(nStrips, s -> packB(b, bOff, transB, k, n, p0, kc, s, bPack));
            // blocks of MC rows of C, each computed by one thread over every strip
            int tiles = mBlocks;
            pool.parallelFor(tiles, blk -> {
                int i0 = blk * MC, mc = Math.min(MC, m - i0);
                float[] aPack = A_PACK.get();
                packA(a, aOff, transA, m, k, i0, mc, p0, kc, aPack);
                for (int s = 0; s < nStrips; s++) {
                    int j0 = s * NR, nr = Math.min(NR, n - j0);
                    for (int ir = 0; ir < mc; ir += MR) {
                        int mr = Math.min(MR, mc - ir);
                        kernel(aPack, ir * kc, bPack, s * KC * NR, kc, c, cOff + (i0 + ir) * n + j0, n, mr, nr);
                    }
                }
            });
        }
    }

    private static void zero(float[] c, int cOff, int m, int n, WorkerPool pool) {
        java.util.Arrays.fill(c, cOff, cOff + m * n, 0f);
    }

    /** Strip s of B rows p0..p0+kc: bPack[s*KC*NR + p*NR + j] = B(p0 + p, s*NR + j), zero past column n. */
    private static void packB(float[] b, int bOff, boolean transB, int k, int n, int p0, int kc, int s, float[] bPack) {
        int j0 = s * NR, nr = Math.min(NR, n - j0), base = s * KC * NR;
        if (!transB) {
            for (int p = 0; p < kc; p++) {
                int src = bOff + (p0 + p) * n + j0, dst = base + p * NR;
                System.arraycopy(b, src, bPack, dst, nr);
                for (int j = nr; j < NR; j++) bPack[dst + j] = 0f;
            }
        } else {
            // B stored (n, k): column j of op(B) is row j of b, contiguous in p
            for (int j = 0; j < NR; j++) {
                if (j < nr) {
                    int src = bOff + (j0 + j) * k + p0;
                    for (int p = 0; p < kc; p++) bPack[base + p * NR + j] = b[src + p];
                } else {
                    for (int p = 0; p < kc; p++) bPack[base + p * NR + j] = 0f;
                }
            }
        }
    }

    /** Rows i0..i0+mc of op(A), columns p0..p0+kc, as MR-row slivers: aPack[ir*kc + p*MR + r] = A(i0+ir+r, p0+p). */
    private static void packA(float[] a, int aOff, boolean transA, int m, int k, int i0, int mc, int p0, int kc, float[] aPack) {
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
                // A stored (k, m): row p holds A(., p) contiguous in i
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * m + i0 + ir, dst = base + p * MR;
                    for (int r = 0; r < mr; r++) aPack[dst + r] = a[src + r];
                    for (int r = mr; r < MR; r++) aPack[dst + r] = 0f;
                }
            }
        }
    }

    /** C tile (mr x nr at c[cOff], row stride n) += A sliver (MR x kc) @ B strip (kc x NR). */
    private static void kernel(float[] aPack, int aBase, float[] bPack, int bBase, int kc, float[] c, int cOff, int n, int mr, int nr) {
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
        if (mr == MR && nr == NR) {
            store(c, cOff, c00, c01);
            store(c, cOff + n, c10, c11);
            store(c, cOff + 2 * n, c20, c21);
            store(c, cOff + 3 * n, c30, c31);
            store(c, cOff + 4 * n, c40, c41);
            store(c, cOff + 5 * n, c50, c51);
        } else {
            // an edge tile: spill to a scratch tile, add the valid part (vectors stay in registers above)
            float[] tile = new float[MR * NR];
            c00.intoArray(tile, 0); c01.intoArray(tile, L);
            c10.intoArray(tile, NR); c11.intoArray(tile, NR + L);
            c20.intoArray(tile, 2 * NR); c21.intoArray(tile, 2 * NR + L);
            c30.intoArray(tile, 3 * NR); c31.intoArray(tile, 3 * NR + L);
            c40.intoArray(tile, 4 * NR); c41.intoArray(tile, 4 * NR + L);
            c50.intoArray(tile, 5 * NR); c51.intoArray(tile, 5 * NR + L);
            for (int r = 0; r < mr; r++) for (int j = 0; j < nr; j++) c[cOff + r * n + j] += tile[r * NR + j];
        }
    }

    private static void store(float[] c, int off, FloatVector v0, FloatVector v1) {
        FloatVector.fromArray(S, c, off).add(v0).intoArray(c, off);
        FloatVector.fromArray(S, c, off + L).add(v1).intoArray(c, off + L);
    }

    // ---------------------------------------------------------------- skinny products (m < MR)

    /**
     * Few rows of C. With B stored (n, k) (the linear layer x W^T), each C(i, j) is a dot product of two
     * contiguous rows; otherwise each row of C accumulates rows of B scaled by A(i, p) (axpy). Threads split
     * over blocks of columns of C.
     */
    private static void skinny(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB,
                               float[] c, int cOff, int m, int n, int k, WorkerPool pool) {
        float[] rowA = new float[m * k]; // (m, k) op(A) rows made contiguous
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++) rowA[i * k + p] = transA ? a[aOff + p * m + i] : a[aOff + i * k + p];
        int block = 64;
        int blocks = (n + block - 1) / block;
        if (transB) {
            pool.parallelFor(blocks, blk -> {
                int j1 = Math.min(n, (blk + 1) * block);
                for (int j = blk * block; j < j1; j++)
                    for (int i = 0; i < m; i++) c[cOff + i * n + j] += dot(rowA, i * k, b, bOff + j * k, k);
            });
        } else {
            int wide = 256;
            int wideBlocks = (n + wide - 1) / wide;
            pool.parallelFor(wideBlocks, blk -> {
                int j0 = blk * wide, j1 = Math.min(n, j0 + wide);
                for (int i = 0; i < m; i++) {
                    int ci = cOff + i * n;
                    for (int p = 0; p < k; p++) {
                        float av = rowA[i * k + p];
                        int bi = bOff + p * n;
                        int j = j0;
                        for (; j + L <= j1; j += L) {
                            FloatVector.fromArray(S, b, bi + j).fma(FloatVector.broadcast(S, av), FloatVector.fromArray(S, c, ci + j))
                                    .intoArray(c, ci + j);
                        }
                        for (; j < j1; j++) c[ci + j] = Math.fma(av, b[bi + j], c[ci + j]);
                    }
                }
            });
        }
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
}
