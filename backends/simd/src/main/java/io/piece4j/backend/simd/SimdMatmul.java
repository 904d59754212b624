package io.piece4j.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * C (m, n) (+)= op(A) (m, k) @ op(B) (k, n) in float32, GotoBLAS style. For each chunk of columns, B is
 * packed into strips of NR columns for each block of KC steps of k (kc rows each, contiguous); then each
 * task takes MC rows by some strips of C and, k block by k block, packs its rows of A into slivers of MR
 * rows and runs a register-blocked micro-kernel that keeps an MR x NR tile of C in vector registers while
 * it streams one A sliver and one B strip. Packing absorbs the transposes, so all four layouts run the
 * same kernel. Products with fewer than six rows (token-by-token decoding) take a
 * dot-product path (B stored transposed, the linear layer x W^T) or a row-axpy path instead, and products
 * with few columns the same paths on the transposed product.
 *
 * <p>Determinism: every C(i, j) is summed over p in a fixed order that depends only on k and the vector
 * width: KC blocks in ascending order (the block size comes from k alone), each block a chain of fma from
 * p = 0 up, added to C when the block ends. Threads split only over tiles of C, so the result is
 * bit-identical for any thread count and any partition.
 */
public final class SimdMatmul {
    private SimdMatmul() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    /** 4 floats, and the shuffles of a 4 x 4 transpose (indexes 4-7 pick from the second vector). */
    private static final VectorSpecies<Float> S4 = FloatVector.SPECIES_128;
    private static final VectorShuffle<Float> INTERLEAVE_LOW = VectorShuffle.fromValues(S4, 0, 4, 1, 5);
    private static final VectorShuffle<Float> INTERLEAVE_HIGH = VectorShuffle.fromValues(S4, 2, 6, 3, 7);
    private static final VectorShuffle<Float> LOW_HALVES = VectorShuffle.fromValues(S4, 0, 1, 4, 5);
    private static final VectorShuffle<Float> HIGH_HALVES = VectorShuffle.fromValues(S4, 2, 3, 6, 7);
    private static final int L = S.length();
    /** Micro-tile: MR rows by NR = 2 vectors of columns. With 16 lanes (AVX-512, 32 vector registers) 12 rows:
     *  24 accumulators + 2 B vectors + 1 A broadcast, 24 fma per 14 loads; narrower vectors (AVX2, 16 registers)
     *  6 rows: 12 accumulators, which fit there. Two fma per B load keep both fma pipes busy either way. */
    static final int MR = L >= 16 ? 12 : 6, NR = 2 * L;
    /** Fewer rows than this take the skinny path (whatever MR is, so the path, and the bits, of a product do not
     *  change with the tile height). */
    private static final int SKINNY_ROWS = 6;
    /** The MC x KC A block (144 KB) stays in L2 while B strips pass over it; a KC x NR B strip (64 KB with 16
     *  lanes) serves the block's MC / MR slivers from L1 and L2; strips come from the shared L3, each read once per
     *  A block. KC was 256 (a strip that fits L1) until a sweep through the SPI at the training step's shapes and at
     *  1024 and 2048 on this AVX-512 machine measured 512 faster everywhere, by 5-15 % (fewer passes over each C
     *  tile; 768 was no better). KC sets the k blocks, so the change moved the bits of every product with k > 256.
     *  PANEL_FLOATS bounds each of the two packed B panels (4 MB each). */
    private static final int KC = 512, MC = 72;
    /** Blocks of A down to this many rows (a multiple of 12 and 6) where there are too few of MC rows. */
    private static final int MIN_MC = 48;
    static final int PANEL_FLOATS = 1 << 20;
    /** Below this many columns a B strip would be mostly padding; measured: the transposed skinny path wins
     *  up to n = 15 of NR = 32, the packed kernel from n = 24. */
    private static final int NARROW = Math.max(SKINNY_ROWS, L);
    /** Tasks are handed out one at a time, so with this many per thread the last ones to finish are short. */
    private static final int TASKS_PER_THREAD = 8;
    /** Below this many strips per task the A block is repacked too often for the work it serves. */
    private static final int MIN_STRIPS_PER_TASK = 4;
    /** Column chunk of one skinny task: a few rows of C this wide stay in L1. */
    private static final int SKINNY_COLS = 1024;
    /** Multiply-adds below which a skinny task costs less to run than to hand to another thread. */
    private static final int MIN_SKINNY_WORK = 16_384;
    /** Rows shorter than this (one 4 KB page) are read one at a time by the matrix-vector kernels; see
     *  {@link #rowsInFours}. */
    private static final int SHORT_ROW_BYTES = 4096;

    /** What one thread packs and computes into, reused across calls. */
    private record Scratch(float[] aPack, float[] tile) {}

    // the packed B panel belongs to the calling thread (all workers read it), A blocks to each worker
    private static final WorkArrays<float[]> B_PACK = WorkArrays.floats();
    private static final ThreadLocal<Scratch> SCRATCH =
            ThreadLocal.withInitial(() -> new Scratch(new float[MC * KC], new float[MR * NR]));

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
        if (m < SKINNY_ROWS) {
            skinny(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, accumulate, pool);
            return;
        }
        if (n < NARROW) {
            narrow(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, accumulate, pool);
            return;
        }
        if (splitsColumns(m, n, k, pool.threads())) {
            byColumns(a, aOff, transA, b, bOff, transB, c, cOff, m, n, k, accumulate, pool);
            return;
        }
        // equal KC blocks from k alone (k = 768 gives 2 x 384, not 512 + 256): a short last block would
        // spend as much on loading and storing C as on arithmetic
        int kBlocks = ceilDiv(k, KC), kc0 = kBlock(k);
        int tasks = TASKS_PER_THREAD * pool.threads();
        int rows = roundUp(ceilDiv(m, ceilDiv(m, MC)), MR), fewerRows = m / tasks / MR * MR;
        // still too few blocks for the tasks wanted: smaller ones, down to MIN_MC rows, rather than tasks that split
        // B's strips and each repack their block (measured while a transposed A was still packed: the weight gradient
        // of a 768 x 288 layer ran 1.2x faster)
        if (ceilDiv(m, rows) < tasks && fewerRows >= MIN_MC) rows = Math.min(rows, fewerRows);
        final int mc0 = rows, mBlocks = ceilDiv(m, mc0);
        // The packed B panel: as many columns as one k block of PANEL_FLOATS allows, then as many k blocks as
        // still fit. Every panel repacks all of A, so a panel as wide as possible packs A least often: a packed A
        // float serves one multiply-add per column of the panel, and at 2048^3 a panel of all k rows (512 columns)
        // repacked A four times, a fifth of the time. Runs of k blocks go in ascending order, so each C(i, j) meets
        // its k blocks in the same order whatever the panel's shape (the same bits).
        int ncMax = panelColumns(n, k), chunkBlocks = kBlocksPerPanel(n, k);
        // Two panels, the calling thread's: while the tasks of one run multiply from one, the threads that finish
        // early pack the next into the other (its tasks come after the multiplying ones), so that packing B fills
        // the wait for the slowest task instead of adding a pass and a wait of its own.
        int panelFloats = Math.min(k, chunkBlocks * kc0) * ncMax;
        float[] bPack = B_PACK.atLeast(2 * panelFloats);
        int runsPerPanel = ceilDiv(kBlocks, chunkBlocks), runs = ceilDiv(n, ncMax) * runsPerPanel;
        // A stored transposed is not packed: a sliver's MR values for one p are contiguous in A's row p, so the kernel
        // reads them there, a row of A apart per p (only a ragged last sliver is packed, as the kernel reads MR rows).
        // Packing cost more than the strided reads: the weight gradients at the training step's shapes (288 x 288 x
        // 2048, 768 x 288 x 2048, 32000 x 288 x 2048) ran 1.44x, 1.22x, 1.11x faster. Except at an aliasing stride
        // ({@link #readInPlace}); multiplyBlock decides.
        Run first = Run.of(0, n, k, ncMax, chunkBlocks), run = first;
        pool.parallelFor(first.packTasks(), t -> first.pack(b, bOff, transB, n, k, t, bPack, 0));
        for (int r = 0; r < runs; r++) {
            final Run next = r + 1 < runs ? Run.of(r + 1, n, k, ncMax, chunkBlocks) : null;
            final int jc = run.jc(), strips = run.strips(), pStart = run.pStart(), pEnd = run.pEnd();
            final int base = (r % 2) * panelFloats, nextBase = ((r + 1) % 2) * panelFloats;
            // enough tasks that threads finish close together, but not so narrow that packing A dominates
            int groups = Math.clamp(ceilDiv(tasks, mBlocks), 1,
                    Math.max(1, strips / MIN_STRIPS_PER_TASK));
            final int stripsPerGroup = ceilDiv(strips, groups), tasksPerBlock = ceilDiv(strips, stripsPerGroup);
            final int multiplyTasks = mBlocks * tasksPerBlock;
            int nextPackTasks = next != null ? next.packTasks() : 0;
            pool.parallelFor(multiplyTasks + nextPackTasks, task -> {
                if (task >= multiplyTasks) {
                    next.pack(b, bOff, transB, n, k, task - multiplyTasks, bPack, nextBase);
                    return;
                }
                int i0 = (task / tasksPerBlock) * mc0, mc = Math.min(mc0, m - i0);
                int s0 = (task % tasksPerBlock) * stripsPerGroup, s1 = Math.min(strips, s0 + stripsPerGroup);
                Scratch scratch = SCRATCH.get();
                for (int p0 = pStart; p0 < pEnd; p0 += kc0) {
                    int kc = Math.min(kc0, k - p0), bBlock = base + (p0 - pStart) * strips * NR;
                    multiplyBlock(a, aOff, transA, m, k, i0, mc, p0, kc, bPack, bBlock, jc, s0, s1, c, cOff, n,
                            !accumulate && p0 == 0, scratch);
                }
            });
            run = next;
        }
    }

    /**
     * One run of the product: the panel's columns jc..jc+nc (strips of NR) and k rows pStart..pEnd (whole k blocks).
     * Runs go panel by panel in column order, each panel's runs of k blocks in ascending order.
     */
    private record Run(int jc, int nc, int strips, int pStart, int pEnd, int kc0) {
        static Run of(int run, int n, int k, int ncMax, int chunkBlocks) {
            int kc0 = kBlock(k), runsPerPanel = ceilDiv(ceilDiv(k, kc0), chunkBlocks);
            int jc = (run / runsPerPanel) * ncMax, nc = Math.min(ncMax, n - jc);
            int pStart = (run % runsPerPanel) * chunkBlocks * kc0;
            return new Run(jc, nc, ceilDiv(nc, NR), pStart, Math.min(k, pStart + chunkBlocks * kc0), kc0);
        }

        /** Packing tasks of the run's B: one per strip and k block. */
        int packTasks() { return strips * ceilDiv(pEnd - pStart, kc0); }

        /** Packing task t: one strip of one k block, into the panel at bPack[base]. */
        void pack(float[] b, int bOff, boolean transB, int n, int k, int t, float[] bPack, int base) {
            int p0 = pStart + (t / strips) * kc0;
            packB(b, bOff, transB, k, n, jc, nc, p0, Math.min(kc0, k - p0), t % strips, bPack,
                    base + (p0 - pStart) * strips * NR);
        }
    }

    /** Each thread's own packed share of B (one k block of its columns), for {@link #byColumns}. */
    private static final WorkArrays<float[]> B_SHARE = WorkArrays.floats();

    /**
     * Whether threads split C by columns ({@link #byColumns}) rather than by blocks of rows: when every thread gets at
     * least four strips, there are rows for eight blocks, B is not much narrower than A is tall (each thread reads all
     * of A, once more per extra thread), and a thread's share of one k block of B fits in 2 MB.
     */
    static boolean splitsColumns(int m, int n, int k, int threads) {
        int strips = ceilDiv(n, NR);
        return threads > 1 && strips >= 4 * threads && m >= 8 * MC && 2L * n >= m
                && (long) ceilDiv(strips, threads) * NR * kBlock(k) <= PANEL_FLOATS / 2;
    }

    /**
     * C split by columns: thread t takes strips [t S / T, (t + 1) S / T) over all rows, and packs its own share of B
     * and its own blocks of A, so no packed data passes between threads. Splitting by rows shares one packed B panel
     * that every thread streams for every block of A; on this 2-core machine that ran each thread 10-16 % slower
     * than it runs alone, although two independent single-thread products run at full speed side by side. Measured
     * through the SPI at 1024^3 and 2048^3 (nn, tn, nt): 1.08-1.15x, except 2048 nt (0.99x); at the training step's
     * tall shapes (32000 x 288 x 2048, 2048 x 768 x 288) it was slower, which the conditions above exclude. The same
     * k blocks in the same order as the row split: the same bits.
     */
    private static void byColumns(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB, float[] c,
                                  int cOff, int m, int n, int k, boolean accumulate, WorkerPool pool) {
        int threads = pool.threads(), allStrips = ceilDiv(n, NR), kc0 = kBlock(k);
        pool.parallelFor(threads, t -> {
            int s0 = t * allStrips / threads, s1 = (t + 1) * allStrips / threads;
            int jc = s0 * NR, nc = Math.min(n, s1 * NR) - jc, strips = s1 - s0;
            float[] bPack = B_SHARE.atLeast(strips * NR * kc0); // (strips, kc, NR): this thread's columns of one k block
            Scratch scratch = SCRATCH.get();
            for (int p0 = 0; p0 < k; p0 += kc0) {
                int kc = Math.min(kc0, k - p0);
                for (int s = 0; s < strips; s++) packB(b, bOff, transB, k, n, jc, nc, p0, kc, s, bPack, 0);
                for (int i0 = 0; i0 < m; i0 += MC) {
                    multiplyBlock(a, aOff, transA, m, k, i0, Math.min(MC, m - i0), p0, kc, bPack, 0, jc, 0,
                            strips, c, cOff, n, !accumulate && p0 == 0, scratch);
                }
            }
        });
    }

    /**
     * Rows i0 .. i0 + mc of op(A) (read in place where {@link #readInPlace} says so) times strips s0 .. s1 of one
     * packed k block (p0 .. p0 + kc) of B, whose strip s sits at bPack[bBlock + s * kc * NR] and holds C's columns
     * jc + s * NR ..: packs the rows of A into MR-row slivers, then runs the micro-kernel on every tile.
     */
    private static void multiplyBlock(float[] a, int aOff, boolean transA, int m, int k, int i0, int mc, int p0, int kc,
                                      float[] bPack, int bBlock, int jc, int s0, int s1, float[] c, int cOff, int n,
                                      boolean overwrite, Scratch scratch) {
        float[] aPack = scratch.aPack();
        int ragged = mc % MR, fullRows = mc - ragged;
        boolean aInPlace = readInPlace(transA, m);
        if (!aInPlace) packA(a, aOff, transA, m, k, i0, mc, p0, kc, aPack);
        else if (ragged > 0) packA(a, aOff, true, m, k, i0 + fullRows, ragged, p0, kc, aPack);
        for (int s = s0; s < s1; s++) {
            int col = jc + s * NR, nr = Math.min(NR, n - col), bStrip = bBlock + s * kc * NR;
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = Math.min(MR, mc - ir), cTile = cOff + (i0 + ir) * n + col;
                boolean fromA = aInPlace && mr == MR;
                float[] aSrc = fromA ? a : aPack;
                int aBase = fromA ? aOff + p0 * m + i0 + ir : aInPlace ? 0 : ir * kc, lda = fromA ? m : MR;
                if (mr == MR && nr == NR) {
                    kernel(aSrc, aBase, lda, bPack, bStrip, kc, c, cTile, n, overwrite);
                } else { // at an edge of C the full tile would write outside it
                    kernel(aSrc, aBase, lda, bPack, bStrip, kc, scratch.tile(), 0, NR, true);
                    addTile(scratch.tile(), c, cTile, n, mr, nr, overwrite);
                }
            }
        }
    }

    /**
     * Whether the kernel reads op(A) where it lies (A stored transposed: a sliver's values for one p are contiguous in
     * A's row p) instead of from a packed copy. Not when A's rows are a multiple of 4 KB long: a sliver's successive
     * rows then fall in the same cache sets, so few of them stay cached while the kernel passes over the block's
     * strips. Measured at 1024^3 tn (2 threads, Zen 4; medians of alternating runs): 194 and 199 GFLOP/s packed,
     * 186 and 182 read in place; 2048^3 tn about even. The training step's weight gradients (m = 288, 768, 32000)
     * keep reading in place.
     */
    static boolean readInPlace(boolean transA, int m) {
        return transA && (4L * m) % 4096 != 0;
    }

    /** Length of each k block: equal blocks of at most KC. */
    static int kBlock(int k) { return ceilDiv(k, ceilDiv(k, KC)); }

    /** Columns of a packed B panel (a multiple of NR). */
    static int panelColumns(int n, int k) {
        return Math.min(roundUp(n, NR), roundUp(Math.max(1, PANEL_FLOATS / kBlock(k)), NR));
    }

    /** k blocks a panel holds at once. */
    static int kBlocksPerPanel(int n, int k) {
        return Math.max(1, PANEL_FLOATS / (panelColumns(n, k) * kBlock(k)));
    }

    /**
     * Strip s of the k block starting at p0: B rows p0..p0+kc, columns jc + s*NR ..., at
     * bPack[blockBase + s*kc*NR + p*NR + j], zero past column n.
     */
    private static void packB(float[] b, int bOff, boolean transB, int k, int n, int jc, int nc, int p0, int kc,
                              int s, float[] bPack, int blockBase) {
        int col = jc + s * NR, nr = Math.min(NR, jc + nc - col), base = blockBase + s * kc * NR;
        if (!transB && nr == NR) {
            // two vector copies a row: System.arraycopy's call cost more than its 128 bytes (1.1x at 1024^3)
            for (int p = 0; p < kc; p++) {
                int src = bOff + (p0 + p) * n + col, dst = base + p * NR;
                FloatVector.fromArray(S, b, src).intoArray(bPack, dst);
                FloatVector.fromArray(S, b, src + L).intoArray(bPack, dst + L);
            }
        } else if (!transB) {
            for (int p = 0; p < kc; p++) {
                int src = bOff + (p0 + p) * n + col, dst = base + p * NR;
                System.arraycopy(b, src, bPack, dst, nr);
                Arrays.fill(bPack, dst + nr, dst + NR, 0f);
            }
        } else {
            // B stored (n, k): column j of op(B) is row j of b, contiguous in p
            transposeRows(b, bOff + col * k + p0, k, nr, kc, bPack, base, NR);
        }
    }

    /** Rows i0..i0+mc of op(A), columns p0..p0+kc, as MR-row slivers: aPack[ir*kc + p*MR + r] = A(i0+ir+r, p0+p). */
    private static void packA(float[] a, int aOff, boolean transA, int m, int k, int i0, int mc, int p0, int kc,
                              float[] aPack) {
        if (!transA) {
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = Math.min(MR, mc - ir);
                transposeRows(a, aOff + (i0 + ir) * k + p0, k, mr, kc, aPack, ir * kc, MR);
            }
        } else {
            // A stored (k, m): row p holds column p of op(A), so a sliver's values for one p are contiguous there and
            // go over as masked vector copies (zeros past a ragged sliver's mr rows). All slivers are packed when A's
            // rows alias (readInPlace), else only a ragged last one
            for (int ir = 0; ir < mc; ir += MR) {
                int mr = Math.min(MR, mc - ir);
                for (int r0 = 0; r0 < MR; r0 += L) {
                    VectorMask<Float> load = S.indexInRange(r0, mr), store = S.indexInRange(r0, MR);
                    for (int p = 0; p < kc; p++) {
                        int src = aOff + (p0 + p) * m + i0 + ir + r0;
                        FloatVector.fromArray(S, a, src, load).intoArray(aPack, ir * kc + p * MR + r0, store);
                    }
                }
            }
        }
    }

    /**
     * rows x kc floats of a row-major matrix (src, row stride ld) into dst[base + p*width + r], zero for rows up to
     * width: the packing of a sliver of A, or a strip of B, whose storage runs along k; also attention's keys of one
     * head, transposed. Four rows at a time, in 4 x 4 blocks: four 4-float loads along p, transposed by two rounds of
     * two-vector shuffles, four 4-float stores along r.
     * Measured on 12-row slivers of a 2048 x 288 source: 0.23 ns a float against 0.41-0.48 for the scalar loop it
     * replaced (four rows at a time, p inner), which had in turn beaten one row at a time (1.3-1.6) and p outer with
     * all rows inner (1.9). The training step packs about 150 M floats a step; with the scalar loop that was 5 % of
     * its samples (JFR, stories15M at 8 x 256).
     */
    static void transposeRows(float[] src, int srcOff, int ld, int rows, int kc, float[] dst, int base, int width) {
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int s0 = srcOff + r * ld, p = 0;
            for (; p + 4 <= kc; p += 4) {
                FloatVector a = FloatVector.fromArray(S4, src, s0 + p), b = FloatVector.fromArray(S4, src, s0 + ld + p);
                FloatVector c = FloatVector.fromArray(S4, src, s0 + 2 * ld + p), d = FloatVector.fromArray(S4, src, s0 + 3 * ld + p);
                FloatVector ab01 = a.rearrange(INTERLEAVE_LOW, b), ab23 = a.rearrange(INTERLEAVE_HIGH, b); // a0 b0 a1 b1, a2 b2 a3 b3
                FloatVector cd01 = c.rearrange(INTERLEAVE_LOW, d), cd23 = c.rearrange(INTERLEAVE_HIGH, d);
                int o = base + p * width + r;
                ab01.rearrange(LOW_HALVES, cd01).intoArray(dst, o);               // a0 b0 c0 d0
                ab01.rearrange(HIGH_HALVES, cd01).intoArray(dst, o + width);      // a1 b1 c1 d1
                ab23.rearrange(LOW_HALVES, cd23).intoArray(dst, o + 2 * width);
                ab23.rearrange(HIGH_HALVES, cd23).intoArray(dst, o + 3 * width);
            }
            for (; p < kc; p++) {
                int d = base + p * width + r, s = s0 + p;
                dst[d] = src[s]; dst[d + 1] = src[s + ld]; dst[d + 2] = src[s + 2 * ld]; dst[d + 3] = src[s + 3 * ld];
            }
        }
        for (; r < rows; r++) {
            int s0 = srcOff + r * ld;
            for (int p = 0; p < kc; p++) dst[base + p * width + r] = src[s0 + p];
        }
        for (; r < width; r++) {
            for (int p = 0; p < kc; p++) dst[base + p * width + r] = 0f;
        }
    }

    /**
     * dst tile (MR x NR at dst[off], row stride ld) (+)= A sliver (MR x kc) @ B strip (kc x NR), the sliver's MR
     * values for each p at aPack[aBase + p*lda ..] (lda = MR when packed, A's row length when read in place). Every
     * vector op stays in this one method: a FloatVector passed to a call the JIT does not inline is boxed,
     * which costs more than the arithmetic, so the stores are written out rather than put in a helper.
     */
    private static void kernel(float[] aPack, int aBase, int lda, float[] bPack, int bBase, int kc, float[] dst, int off,
                               int ld, boolean overwrite) {
        if (MR == 12) kernel12(aPack, aBase, lda, bPack, bBase, kc, dst, off, ld, overwrite);
        else kernel6(aPack, aBase, lda, bPack, bBase, kc, dst, off, ld, overwrite);
    }

    /** {@link #kernel} with MR = 6. */
    private static void kernel6(float[] aPack, int aBase, int lda, float[] bPack, int bBase, int kc, float[] dst,
                                 int off, int ld, boolean overwrite) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bBase + p * NR, ai = aBase + p * lda;
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
        int r0 = off, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld, r4 = r3 + ld, r5 = r4 + ld;
        if (!overwrite) {
            c00 = c00.add(FloatVector.fromArray(S, dst, r0)); c01 = c01.add(FloatVector.fromArray(S, dst, r0 + L));
            c10 = c10.add(FloatVector.fromArray(S, dst, r1)); c11 = c11.add(FloatVector.fromArray(S, dst, r1 + L));
            c20 = c20.add(FloatVector.fromArray(S, dst, r2)); c21 = c21.add(FloatVector.fromArray(S, dst, r2 + L));
            c30 = c30.add(FloatVector.fromArray(S, dst, r3)); c31 = c31.add(FloatVector.fromArray(S, dst, r3 + L));
            c40 = c40.add(FloatVector.fromArray(S, dst, r4)); c41 = c41.add(FloatVector.fromArray(S, dst, r4 + L));
            c50 = c50.add(FloatVector.fromArray(S, dst, r5)); c51 = c51.add(FloatVector.fromArray(S, dst, r5 + L));
        }
        c00.intoArray(dst, r0); c01.intoArray(dst, r0 + L);
        c10.intoArray(dst, r1); c11.intoArray(dst, r1 + L);
        c20.intoArray(dst, r2); c21.intoArray(dst, r2 + L);
        c30.intoArray(dst, r3); c31.intoArray(dst, r3 + L);
        c40.intoArray(dst, r4); c41.intoArray(dst, r4 + L);
        c50.intoArray(dst, r5); c51.intoArray(dst, r5 + L);
    }

    /** {@link #kernel} with MR = 12 (the same arithmetic per element of C: one fma chain over p from zero). */
    private static void kernel12(float[] aPack, int aBase, int lda, float[] bPack, int bBase, int kc, float[] dst,
                                 int off, int ld, boolean overwrite) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        FloatVector c60 = FloatVector.zero(S), c61 = FloatVector.zero(S);
        FloatVector c70 = FloatVector.zero(S), c71 = FloatVector.zero(S);
        FloatVector c80 = FloatVector.zero(S), c81 = FloatVector.zero(S);
        FloatVector c90 = FloatVector.zero(S), c91 = FloatVector.zero(S);
        FloatVector c100 = FloatVector.zero(S), c101 = FloatVector.zero(S);
        FloatVector c110 = FloatVector.zero(S), c111 = FloatVector.zero(S);
        for (int p = 0; p < kc; p++) {
            int bi = bBase + p * NR, ai = aBase + p * lda;
            FloatVector b0 = FloatVector.fromArray(S, bPack, bi);
            FloatVector b1 = FloatVector.fromArray(S, bPack, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, aPack[ai + 0]);
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
            FloatVector a6 = FloatVector.broadcast(S, aPack[ai + 6]);
            c60 = a6.fma(b0, c60); c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, aPack[ai + 7]);
            c70 = a7.fma(b0, c70); c71 = a7.fma(b1, c71);
            FloatVector a8 = FloatVector.broadcast(S, aPack[ai + 8]);
            c80 = a8.fma(b0, c80); c81 = a8.fma(b1, c81);
            FloatVector a9 = FloatVector.broadcast(S, aPack[ai + 9]);
            c90 = a9.fma(b0, c90); c91 = a9.fma(b1, c91);
            FloatVector a10 = FloatVector.broadcast(S, aPack[ai + 10]);
            c100 = a10.fma(b0, c100); c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(S, aPack[ai + 11]);
            c110 = a11.fma(b0, c110); c111 = a11.fma(b1, c111);
        }
        int r0 = off, r1 = r0 + ld, r2 = r1 + ld, r3 = r2 + ld, r4 = r3 + ld, r5 = r4 + ld, r6 = r5 + ld, r7 = r6 + ld, r8 = r7 + ld, r9 = r8 + ld, r10 = r9 + ld, r11 = r10 + ld;
        if (!overwrite) {
            c00 = c00.add(FloatVector.fromArray(S, dst, r0)); c01 = c01.add(FloatVector.fromArray(S, dst, r0 + L));
            c10 = c10.add(FloatVector.fromArray(S, dst, r1)); c11 = c11.add(FloatVector.fromArray(S, dst, r1 + L));
            c20 = c20.add(FloatVector.fromArray(S, dst, r2)); c21 = c21.add(FloatVector.fromArray(S, dst, r2 + L));
            c30 = c30.add(FloatVector.fromArray(S, dst, r3)); c31 = c31.add(FloatVector.fromArray(S, dst, r3 + L));
            c40 = c40.add(FloatVector.fromArray(S, dst, r4)); c41 = c41.add(FloatVector.fromArray(S, dst, r4 + L));
            c50 = c50.add(FloatVector.fromArray(S, dst, r5)); c51 = c51.add(FloatVector.fromArray(S, dst, r5 + L));
            c60 = c60.add(FloatVector.fromArray(S, dst, r6)); c61 = c61.add(FloatVector.fromArray(S, dst, r6 + L));
            c70 = c70.add(FloatVector.fromArray(S, dst, r7)); c71 = c71.add(FloatVector.fromArray(S, dst, r7 + L));
            c80 = c80.add(FloatVector.fromArray(S, dst, r8)); c81 = c81.add(FloatVector.fromArray(S, dst, r8 + L));
            c90 = c90.add(FloatVector.fromArray(S, dst, r9)); c91 = c91.add(FloatVector.fromArray(S, dst, r9 + L));
            c100 = c100.add(FloatVector.fromArray(S, dst, r10)); c101 = c101.add(FloatVector.fromArray(S, dst, r10 + L));
            c110 = c110.add(FloatVector.fromArray(S, dst, r11)); c111 = c111.add(FloatVector.fromArray(S, dst, r11 + L));
        }
        c00.intoArray(dst, r0); c01.intoArray(dst, r0 + L);
        c10.intoArray(dst, r1); c11.intoArray(dst, r1 + L);
        c20.intoArray(dst, r2); c21.intoArray(dst, r2 + L);
        c30.intoArray(dst, r3); c31.intoArray(dst, r3 + L);
        c40.intoArray(dst, r4); c41.intoArray(dst, r4 + L);
        c50.intoArray(dst, r5); c51.intoArray(dst, r5 + L);
        c60.intoArray(dst, r6); c61.intoArray(dst, r6 + L);
        c70.intoArray(dst, r7); c71.intoArray(dst, r7 + L);
        c80.intoArray(dst, r8); c81.intoArray(dst, r8 + L);
        c90.intoArray(dst, r9); c91.intoArray(dst, r9 + L);
        c100.intoArray(dst, r10); c101.intoArray(dst, r10 + L);
        c110.intoArray(dst, r11); c111.intoArray(dst, r11 + L);
    }

    /** The valid mr x nr corner of a tile computed into scratch, into (overwrite) or onto C. */
    private static void addTile(float[] tile, float[] c, int cOff, int n, int mr, int nr, boolean overwrite) {
        for (int r = 0; r < mr; r++) {
            for (int j = 0; j < nr; j++) {
                int ci = cOff + r * n + j;
                c[ci] = overwrite ? tile[r * NR + j] : c[ci] + tile[r * NR + j];
            }
        }
    }

    // ---------------------------------------------------------------- skinny products (m < SKINNY_ROWS or n < NARROW)

    /** Few rows: a tile of MR rows would be mostly padding. */
    private static void skinny(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB, float[] c,
                               int cOff, int m, int n, int k, boolean accumulate, WorkerPool pool) {
        if (transB) skinnyDot(a, aOff, transA, b, bOff, c, cOff, m, n, k, accumulate, pool);
        else skinnyAxpy(a, aOff, transA, b, bOff, c, cOff, m, n, k, accumulate, pool);
    }

    /**
     * Few columns (fewer than NARROW; a matrix-vector product A x, say): C^T (n, m) = op(B)^T (n, k) @
     * op(A)^T (k, m) has few rows, so it is computed by {@link #skinny} into a scratch C^T and transposed
     * into C. op(B)^T is b read with the opposite transpose flag, and op(A)^T likewise a.
     */
    private static void narrow(float[] a, int aOff, boolean transA, float[] b, int bOff, boolean transB, float[] c,
                               int cOff, int m, int n, int k, boolean accumulate, WorkerPool pool) {
        float[] cT = new float[n * m]; // (n, m)
        if (accumulate) for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) cT[j * m + i] = c[cOff + i * n + j];
        skinny(b, bOff, !transB, a, aOff, !transA, cT, 0, n, m, k, accumulate, pool);
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[cOff + i * n + j] = cT[j * m + i];
    }

    /**
     * B stored (n, k), the linear layer x W^T: C(i, j) is a dot product of two contiguous rows. Tasks take blocks
     * of columns of C, each at least MIN_SKINNY_WORK multiply-adds so that small products are not swamped by
     * handing out tasks.
     *
     * <p>Short rows of B go through one at a time, long ones four at a time ({@link #rowsInFours}); both sum each dot
     * product the same way, so the choice changes no bits.
     */
    private static void skinnyDot(float[] a, int aOff, boolean transA, float[] b, int bOff, float[] c, int cOff,
                                  int m, int n, int k, boolean accumulate, WorkerPool pool) {
        float[] rows = opARows(a, aOff, transA, m, k);
        int rowsOff = rows == a ? aOff : 0;
        int block = roundUp(Math.max(ceilDiv(n, TASKS_PER_THREAD * pool.threads()), MIN_SKINNY_WORK / (m * k) + 1), 4);
        boolean inFours = rowsInFours(4L * k);
        pool.parallelFor(ceilDiv(n, block), blk -> {
            int j0 = blk * block, j1 = Math.min(n, j0 + block), j = j0;
            if (inFours)
                for (; j + 4 <= j1; j += 4)
                    for (int i = 0; i < m; i++) dot4(rows, rowsOff + i * k, b, bOff + j * k, k, c, cOff + i * n + j, accumulate);
            for (int i = 0; i < m; i++) rowDots(rows, rowsOff + i * k, b, bOff, k, c, cOff + i * n, j, j1, accumulate);
        });
    }

    /**
     * c[cOff + j] (+)= x . b_j for the rows j0 .. j1 - 1 of b (rows of length k), one row after the other, each summed
     * exactly as {@link #dot} sums it. The loop is written out here instead of calling dot per row, as the packed
     * decoder's kernels write theirs: in a JFR profile of stories15M decoding, C2 had compiled dot as a call of its own
     * (62 % of the samples in dot, 19 % in the calling loop); written out, the loop is one frame. Decoding speed did
     * not change beyond this host's noise (alternating runs), so this is about not depending on C2's inlining.
     */
    private static void rowDots(float[] x, int xo, float[] b, int bOff, int k, float[] c, int cOff, int j0, int j1,
                                boolean accumulate) {
        int end = S.loopBound(k);
        for (int j = j0; j < j1; j++) {
            int bj = bOff + j * k, p = 0;
            FloatVector acc = FloatVector.zero(S);
            for (; p < end; p += L) acc = FloatVector.fromArray(S, x, xo + p).fma(FloatVector.fromArray(S, b, bj + p), acc);
            float s = LaneMath.sum(acc);
            for (; p < k; p++) s = Math.fma(x[xo + p], b[bj + p], s);
            c[cOff + j] = accumulate ? c[cOff + j] + s : s;
        }
    }

    /**
     * Whether a matrix-vector kernel (a few rows of x against every row of W) should take W's rows four at a time,
     * each load of x serving four of them, or one at a time, reading W as one sequential stream. Decoding reads
     * every weight from memory once per token, and four short rows at once are four streams of a few cache lines
     * each, too short for the hardware prefetchers to follow. Measured on the 2-core Zen 4 machine (2 threads):
     * <ul>
     * <li>float32, 288 columns (1,152-byte rows), 295 MB from memory: 21-23 GB/s four at a time, 32-48 GB/s one
     *     at a time (the C streaming-read test: 35-53 GB/s that hour); 768 columns: 29 against 53 GB/s;</li>
     * <li>2048 columns (8 KB rows): 28-33 against 32-34 GB/s, about even;</li>
     * <li>in cache four at a time wins: 155 against 78 GB/s with 768 columns in L2.</li>
     * </ul>
     * Decoding stories15M went from about 3.4 to 1.9 ms a token (float32), and bf16 and Q8_0 (the packed decoder)
     * gained as much or more.
     */
    static boolean rowsInFours(long rowBytes) {
        return rowBytes >= SHORT_ROW_BYTES;
    }

    /**
     * c[cOff + t] (+)= x . y_t for the four consecutive rows y_t = y[yo + t*len ..] of length len, each summed
     * exactly as {@link #dot} sums it: one fma chain per lane, the lanes folded by {@link LaneMath#sum},
     * then a scalar fma tail. So a column gives the same bits whether it falls in a group of four or not.
     */
    private static void dot4(float[] x, int xo, float[] y, int yo, int len, float[] c, int cOff, boolean accumulate) {
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
        int y0 = yo, y1 = y0 + len, y2 = y1 + len, y3 = y2 + len, end = S.loopBound(len), i = 0;
        for (; i < end; i += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xo + i);
            s0 = xv.fma(FloatVector.fromArray(S, y, y0 + i), s0);
            s1 = xv.fma(FloatVector.fromArray(S, y, y1 + i), s1);
            s2 = xv.fma(FloatVector.fromArray(S, y, y2 + i), s2);
            s3 = xv.fma(FloatVector.fromArray(S, y, y3 + i), s3);
        }
        float d0 = LaneMath.sum(s0), d1 = LaneMath.sum(s1), d2 = LaneMath.sum(s2), d3 = LaneMath.sum(s3);
        for (; i < len; i++) {
            float xi = x[xo + i];
            d0 = Math.fma(xi, y[y0 + i], d0);
            d1 = Math.fma(xi, y[y1 + i], d1);
            d2 = Math.fma(xi, y[y2 + i], d2);
            d3 = Math.fma(xi, y[y3 + i], d3);
        }
        if (accumulate) {
            d0 += c[cOff]; d1 += c[cOff + 1]; d2 += c[cOff + 2]; d3 += c[cOff + 3];
        }
        c[cOff] = d0; c[cOff + 1] = d1; c[cOff + 2] = d2; c[cOff + 3] = d3;
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
        int width = Math.clamp(roundUp(Math.max(ceilDiv(n, 2 * pool.threads()), MIN_SKINNY_WORK / (m * k) + 1), L),
                L, SKINNY_COLS);
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

    /**
     * x . y over len elements: one fma chain per lane, the lanes folded in a fixed order, a scalar fma tail. The
     * definition every row sum of the skinny products follows ({@link #dot4}, {@link #rowDots}); they write the loop out
     * rather than call this, and the tests hold their results to it bit for bit.
     */
    static float dot(float[] x, int xo, float[] y, int yo, int len) {
        FloatVector acc = FloatVector.zero(S);
        int end = S.loopBound(len), i = 0;
        for (; i < end; i += L) acc = FloatVector.fromArray(S, x, xo + i).fma(FloatVector.fromArray(S, y, yo + i), acc);
        // LaneMath.sum, not reduceLanes: the latter's order changes once the JIT compiles it
        float s = LaneMath.sum(acc);
        for (; i < len; i++) s = Math.fma(x[xo + i], y[yo + i], s);
        return s;
    }

    private static int ceilDiv(int x, int y) { return (x + y - 1) / y; }

    private static int roundUp(int x, int multiple) { return ceilDiv(x, multiple) * multiple; }
}
