package io.piece4j.backend.simd;

import io.piece4j.tensor.Rng;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packed Vector API matmul, C (m, n) = (accumulate ? C : 0) + op(A) @ op(B), against a naive
 * double-accumulated triple loop. Tolerance per element:
 * <pre>  |simd - naive| <= 1e-5 * sum_p |A(i,p) B(p,j)| + 1e-6</pre>
 * (the float32 rounding error of a length-k sum grows with the sum of the magnitudes, not with the result).
 * Shapes are not multiples of the vector width or of the tile sizes; m below the micro-tile height takes the
 * few-row paths, n below half a B strip the same paths on the transposed product. Results must also be
 * bit-identical for any thread count, and the same bits whether the JIT
 * has compiled the kernels or not; the whole check runs again in JVMs forced to 4 and 8 lanes.
 */
class SimdMatmulTest {
    /** The brief's sizes, plus 3 for the skinny paths with more than one row. */
    private static final int[] DIMS = {1, 3, 7, 16, 33, 65, 257};
    /** Keeps the naive loop fast: skips only shapes with all three sizes large. */
    private static final int MAX_VOLUME = 257 * 65 * 33;
    private static final String SKIP_SWEEP = "piece.matmul.test.skipSweep";

    @Test
    void matchesNaiveProductAtAwkwardShapesLayoutsAndOffsets() {
        List<String> failures = sweepAgainstNaive();
        assertTrue(failures.isEmpty(), failures.size() + " shapes differ from the naive product, first:\n"
                + String.join("\n", failures.subList(0, Math.min(5, failures.size()))));
    }

    @Test
    void matchesNaiveProductWhenColumnsSpanSeveralPackedPanels() {
        // a packed panel holds PANEL_FLOATS / (k block) columns; this n needs two panels, the second one ragged (and
        // wide rows for the few-row path too)
        int k = 700, n = SimdMatmul.panelColumns(Integer.MAX_VALUE / 2, k) + 3 * SimdMatmul.NR + 5;
        assertTrue(SimdMatmul.panelColumns(n, k) < n, "the shape must need two panels");
        for (int m : new int[] {3, 13}) assertEveryLayoutMatchesNaive(m, n, k, 11);
    }

    @Test
    void matchesNaiveProductWhenAPanelHoldsOnlySomeKBlocks() {
        // 300 columns of all 10 k blocks would not fit a panel: the panel takes them in runs, one run after the
        // other (the output head's dX shape)
        int k = 5000, n = 300;
        assertTrue(SimdMatmul.kBlocksPerPanel(n, k) * SimdMatmul.kBlock(k) < k, "the shape must take k in runs");
        for (int m : new int[] {13, 40}) assertEveryLayoutMatchesNaive(m, n, k, 12);
    }

    @Test
    void matchesNaiveProductWhenPanelsAreRefilledWhileInUse() {
        // one k block per panel and three of them: the next run's B is packed into the spare panel while the tasks
        // of this run still multiply from the other, and the third run reuses the first one's
        int k = 1100, n = 2200;
        assertEquals(1, SimdMatmul.kBlocksPerPanel(n, k), "the shape must take one k block per run");
        int kBlocks = (k + SimdMatmul.kBlock(k) - 1) / SimdMatmul.kBlock(k);
        assertTrue(SimdMatmul.panelColumns(n, k) >= n && kBlocks == 3, "one panel, three runs");
        assertEveryLayoutMatchesNaive(13, n, k, 14);
    }

    @Test
    void matchesNaiveProductWithWideAndWithSmallBlocksOfA() {
        // m = 4700: 66 blocks, the last of 20 rows (a sliver of 12 and a ragged one of 8, which a transposed A packs
        // while it reads the others in place); m = 800: too few 72-row blocks for 16 tasks, so 48-row ones (the last of
        // 32 rows: 12, 12 and 8); both layouts of A and of B
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int m : new int[] {4700, 800}) {
                for (int layout = 0; layout < 4; layout++) {
                    Product p = new Product(m, 45, 37, layout < 2, layout % 2 == 1, layout == 0, 13);
                    String failure = p.compareWithNaive(pool);
                    assertTrue(failure == null, failure);
                }
            }
        }
    }

    @Test
    void matchesNaiveProductWhenThreadsSplitTheColumns() {
        // each thread packs its own columns of B and all of A: a ragged last strip (n = 600), a ragged last sliver
        // (m = 601), k in two blocks
        int m = 601, n = 600, k = 530;
        assertTrue(SimdMatmul.splitsColumns(m, n, k, 2) && SimdMatmul.splitsColumns(m, n, k, 3), "the shape must split by columns");
        assertFalse(SimdMatmul.splitsColumns(m, n, k, 1), "one thread has nothing to split");
        assertFalse(SimdMatmul.splitsColumns(32000, 288, 2048, 2), "a tall product (the head's weight gradient) splits by rows");
        assertEveryLayoutMatchesNaive(m, n, k, 15);
    }

    @Test
    void skinnyRowsGiveTheSameBitsReadOneAtATimeOrInFours() {
        // rows of B below 4 KB are read one at a time, longer ones four at a time (the leftover rows alone): every
        // C(i, j) must be the one dot product SimdMatmul.dot computes, whichever way its row went
        assertFalse(SimdMatmul.rowsInFours(4 * 1023), "1023 columns: one at a time");
        assertTrue(SimdMatmul.rowsInFours(4 * 1024), "1024 columns: four at a time");
        Random r = new Random(21);
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int k : new int[] {1023, 1024, 1031}) {
                for (int m : new int[] {1, 3}) {
                    int n = 39; // 9 groups of four and 3 rows left over
                    float[] a = new float[m * k], b = new float[n * k], c = new float[m * n];
                    for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
                    for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
                    SimdMatmul.matmul(a, 0, false, b, 0, true, c, 0, m, n, k, false, pool);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            float expected = SimdMatmul.dot(a, i * k, b, j * k, k);
                            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(c[i * n + j]),
                                    "k " + k + ", m " + m + ": C(" + i + ", " + j + ") = " + c[i * n + j] + ", dot gives " + expected);
                        }
                    }
                }
                assertEveryLayoutMatchesNaive(1, 37, k, 16);
                assertEveryLayoutMatchesNaive(3, 37, k, 17);
            }
        }
    }

    @Test
    void aTransposedAGivesTheBitsOfTheSameAStoredByRowsWhetherReadInPlaceOrPacked() {
        // A stored (k, m) is read where it lies unless its rows are a multiple of 4 KB long (m = 1024: packed, a ragged
        // last sliver included, as 1024 = 85 x 12 + 4); either way every C(i, j) must be the fma chain that A stored
        // (m, k), always packed, gives: the kernel sees the same values in the same order
        assertTrue(SimdMatmul.readInPlace(true, 1000) && SimdMatmul.readInPlace(true, 1030), "1000 and 1030 rows: in place");
        assertFalse(SimdMatmul.readInPlace(true, 1024) || SimdMatmul.readInPlace(true, 2048), "rows of 4 KB, 8 KB: packed");
        assertFalse(SimdMatmul.readInPlace(false, 1000), "A stored by rows is always packed");
        Random r = new Random(23);
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int m : new int[] {1000, 1024}) {
                for (int n : new int[] {45, 600}) { // split by rows, and by columns
                    int k = 530;
                    float[] a = new float[m * k], aT = new float[k * m], b = new float[k * n];
                    for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
                    for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) aT[p * m + i] = a[i * k + p];
                    for (int i = 0; i < b.length; i++) b[i] = (float) r.nextGaussian();
                    float[] byRows = new float[m * n], transposed = new float[m * n];
                    SimdMatmul.matmul(a, 0, false, b, 0, false, byRows, 0, m, n, k, false, pool);
                    SimdMatmul.matmul(aT, 0, true, b, 0, false, transposed, 0, m, n, k, false, pool);
                    assertBitIdentical(byRows, transposed, "m " + m + ", n " + n + ": A^T stored (k, m) against A stored (m, k)");
                }
            }
        }
    }

    /** The four layouts of A and B (accumulating onto C in two of them) against the naive product, on two threads. */
    private static void assertEveryLayoutMatchesNaive(int m, int n, int k, long seed) {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int layout = 0; layout < 4; layout++) {
                Product p = new Product(m, n, k, (layout & 1) != 0, (layout & 2) != 0, layout % 2 == 0, seed);
                String failure = p.compareWithNaive(pool);
                assertTrue(failure == null, failure);
            }
        }
    }

    @Test
    void zeroInnerDimensionClearsOrKeepsC() {
        float[] c = {5f, 1f, 2f, 3f, 4f};
        try (WorkerPool pool = new WorkerPool(2)) {
            SimdMatmul.matmul(new float[0], 0, false, new float[0], 0, true, c, 1, 2, 2, 0, true, pool);
            assertEquals("[5.0, 1.0, 2.0, 3.0, 4.0]", Arrays.toString(c), "accumulate with k = 0 must leave C as it was");
            SimdMatmul.matmul(new float[0], 0, false, new float[0], 0, true, c, 1, 2, 2, 0, false, pool);
            assertEquals("[5.0, 0.0, 0.0, 0.0, 0.0]", Arrays.toString(c), "k = 0 without accumulate must zero C (and only C)");
        }
    }

    @Test
    void resultIsBitIdenticalForOneTwoThreeAndSixteenThreads() {
        List<Product> products = new ArrayList<>();
        for (int layout = 0; layout < 4; layout++) {
            boolean ta = (layout & 1) != 0, tb = (layout & 2) != 0;
            products.add(new Product(301, 77, 530, ta, tb, false, 2)); // several row blocks and k blocks
            products.add(new Product(20, 700, 300, ta, tb, true, 3));  // one row block, split over columns
            products.add(new Product(1, 1000, 530, ta, tb, false, 4)); // decoding: one row
            products.add(new Product(4, 333, 70, ta, tb, true, 5));
            products.add(new Product(500, 9, 300, ta, tb, false, 6)); // few columns: the transposed product
            products.add(new Product(40, 300, 5000, ta, tb, true, 7)); // k too long for a full-width panel: k runs
            products.add(new Product(601, 600, 530, ta, tb, layout == 1, 8)); // split by columns on 2 and 3 threads
        }
        for (Product p : products) {
            float[] first = null;
            for (int threads : new int[] {1, 2, 3, 16}) {
                float[] c;
                try (WorkerPool pool = new WorkerPool(threads)) {
                    c = p.run(pool);
                }
                if (first == null) first = c;
                else assertBitIdentical(first, c, p + ": " + threads + " threads against 1 thread");
            }
        }
    }

    @Test
    void firstColdCallAndCompiledCallsGiveTheSameBitsAndEveryWidthIsCorrect() {
        // the species is a per-JVM constant, and "cold" needs a JVM that has not run the kernels yet
        List<Integer> widths = List.of(128, 256, 0); // 0: the machine's own width
        var runs = widths.stream().map(bits -> CompletableFuture.supplyAsync(() -> {
            List<String> flags = new ArrayList<>(List.of("-Xss8m", "-XX:+UseParallelGC", "--add-modules=jdk.incubator.vector"));
            if (bits != 0) flags.add("-D" + SimdSpecies.PROPERTY + "=" + bits);
            else flags.add("-D" + SKIP_SWEEP + "=true"); // this JVM has swept the native width already
            try {
                return ChildJvm.run(flags, SimdMatmulTest.class.getName(), 300);
            } catch (Exception e) {
                return new ChildJvm.Result(-1, "could not run the child JVM: " + e);
            }
        })).toList();
        for (int i = 0; i < widths.size(); i++) {
            ChildJvm.Result r = runs.get(i).join();
            String which = widths.get(i) == 0 ? "the native width" : widths.get(i) / 32 + " lanes";
            assertEquals(0, r.exitCode(), "matmul checks with " + which + " failed:\n" + ChildJvm.tail(r.output(), 30));
            if (widths.get(i) != 0)
                assertTrue(r.output().contains("lanes " + widths.get(i) / 32 + ": ok"), "the child did not run with "
                        + which + ":\n" + ChildJvm.tail(r.output(), 30));
        }
    }

    /**
     * The child JVM of the test above: computes a few products cold, checks every shape against the naive
     * product (which compiles the kernels; with SKIP_SWEEP repeating the products does that instead), then
     * the same products hot. Exit status 0 when all agree.
     */
    public static void main(String[] args) {
        boolean sweep = !Boolean.getBoolean(SKIP_SWEEP);
        List<String> failures = new ArrayList<>();
        try (WorkerPool pool = new WorkerPool(2)) {
            List<Product> products = new ArrayList<>();
            for (int layout = 0; layout < 4; layout++) {
                boolean ta = (layout & 1) != 0, tb = (layout & 2) != 0;
                products.add(new Product(13, 40, 300, ta, tb, true, 20 + layout));
                products.add(new Product(1, 40, 300, ta, tb, false, 30 + layout));
                products.add(new Product(3, 40, 300, ta, tb, true, 40 + layout));
            }
            List<float[]> cold = products.stream().map(p -> p.run(pool)).toList();
            if (sweep) failures.addAll(sweepAgainstNaive());
            for (int i = 0; i < products.size(); i++) {
                Product p = products.get(i);
                for (int warm = 0; warm < (sweep ? 20 : 400); warm++) p.run(pool);
                float[] hot = p.run(pool);
                String diff = firstDifference(cold.get(i), hot);
                if (diff != null) failures.add(p + ": compiled differs from the first call: " + diff);
            }
        }
        System.out.println("lanes " + SimdSpecies.FLOAT.length() + ": " + (failures.isEmpty() ? "ok" : failures.size() + " failures"));
        failures.stream().limit(10).forEach(System.out::println);
        System.exit(failures.isEmpty() ? 0 : 1);
    }

    /** Every shape from DIMS, all four layouts, accumulate on or off by turns, non-zero offsets; one line per failure. */
    private static List<String> sweepAgainstNaive() {
        List<String> failures = new ArrayList<>();
        long seed = 100;
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int m : DIMS) for (int n : DIMS) for (int k : DIMS) {
                if ((long) m * n * k > MAX_VOLUME) continue;
                for (int layout = 0; layout < 4; layout++) {
                    boolean accumulate = ((m + n + k + layout) & 1) == 0; // both, across neighbouring shapes
                    Product p = new Product(m, n, k, (layout & 1) != 0, (layout & 2) != 0, accumulate, seed++);
                    String failure = p.compareWithNaive(pool);
                    if (failure != null) failures.add(failure);
                }
            }
        }
        return failures;
    }

    /** One call with random operands at offsets 3 (A), 5 (B), 2 (C) in larger arrays. */
    record Product(int m, int n, int k, boolean transA, boolean transB, boolean accumulate, long seed) {
        static final int A_OFF = 3, B_OFF = 5, C_OFF = 2;

        float[] a() { return random(seed, A_OFF + m * k); }
        float[] b() { return random(seed + 1_000_000, B_OFF + k * n); }
        float[] c0() { return random(seed + 2_000_000, C_OFF + m * n + 1); }

        float[] run(WorkerPool pool) {
            float[] c = c0();
            SimdMatmul.matmul(a(), A_OFF, transA, b(), B_OFF, transB, c, C_OFF, m, n, k, accumulate, pool);
            return c;
        }

        /** null when every element is within the tolerance and nothing outside C changed, else what differed. */
        String compareWithNaive(WorkerPool pool) {
            float[] a = a(), b = b(), c0 = c0(), c = run(pool);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double want = accumulate ? c0[C_OFF + i * n + j] : 0, magnitude = 0;
                    for (int p = 0; p < k; p++) {
                        double av = transA ? a[A_OFF + p * m + i] : a[A_OFF + i * k + p];
                        double bv = transB ? b[B_OFF + j * k + p] : b[B_OFF + p * n + j];
                        want += av * bv;
                        magnitude += Math.abs(av * bv);
                    }
                    double got = c[C_OFF + i * n + j], tolerance = 1e-5 * magnitude + 1e-6;
                    if (!(Math.abs(got - want) <= tolerance))
                        return this + ": C[" + i + "][" + j + "] = " + got + ", naive " + want + ", differs by "
                                + Math.abs(got - want) + " > tolerance " + tolerance;
                }
            }
            int last = C_OFF + m * n;
            if (c[0] != c0[0] || c[1] != c0[1] || c[last] != c0[last]) return this + ": an element outside C changed";
            return null;
        }

        @Override
        public String toString() {
            return "C (" + m + ", " + n + ") " + (accumulate ? "+" : "") + "= " + (transA ? "A^T" : "A") + " @ "
                    + (transB ? "B^T" : "B") + ", k = " + k;
        }
    }

    private static float[] random(long seed, int size) {
        Rng rng = new Rng(seed);
        float[] v = new float[size];
        for (int i = 0; i < size; i++) v[i] = rng.nextFloat() * 2 - 1;
        return v;
    }

    private static String firstDifference(float[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]))
                return "element " + i + ": " + expected[i] + " vs " + actual[i] + " (" + Math.abs(expected[i] - actual[i]) + " apart)";
        }
        return null;
    }

    private static void assertBitIdentical(float[] expected, float[] actual, String what) {
        String diff = firstDifference(expected, actual);
        assertTrue(diff == null, () -> what + ": " + diff);
    }

    /** The pool the kernels run on: every task once, failures passed on, and no interference between callers. */
    @Nested
    class WorkerPoolBehaviour {
        @Test
        void runsEveryTaskExactlyOnce() {
            try (WorkerPool pool = new WorkerPool(3)) {
                for (int round = 0; round < 200; round++) {
                    int tasks = 1 + round % 37;
                    AtomicIntegerArray runs = new AtomicIntegerArray(tasks);
                    pool.parallelFor(tasks, runs::incrementAndGet);
                    for (int t = 0; t < tasks; t++)
                        assertEquals(1, runs.get(t), "round " + round + ": task " + t + " of " + tasks + " ran " + runs.get(t) + " times");
                }
            }
        }

        @Test
        void rethrowsTheFailureOfATaskAndStaysUsable() {
            try (WorkerPool pool = new WorkerPool(2)) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(10, t -> {
                    if (t == 7) throw new IllegalStateException("task 7 failed");
                }));
                assertEquals("task 7 failed", e.getMessage());
                AtomicIntegerArray runs = new AtomicIntegerArray(5);
                pool.parallelFor(5, runs::incrementAndGet);
                assertEquals("[1, 1, 1, 1, 1]", runs.toString(), "the pool after a failed job");
            }
        }

        @Test
        void aNestedCallRunsInsideTheTaskInsteadOfClobberingTheRunningJob() {
            try (WorkerPool pool = new WorkerPool(2)) {
                AtomicIntegerArray runs = new AtomicIntegerArray(4 * 5);
                pool.parallelFor(4, outer -> pool.parallelFor(5, inner -> runs.incrementAndGet(outer * 5 + inner)));
                for (int i = 0; i < 20; i++) assertEquals(1, runs.get(i), "inner task " + i + " ran " + runs.get(i) + " times");
            }
        }

        @Test
        void twoThreadsSharingAPoolEachGetTheirOwnProduct() throws Exception {
            Product p = new Product(50, 90, 120, false, true, false, 9);
            float[] expected;
            try (WorkerPool alone = new WorkerPool(1)) {
                expected = p.run(alone);
            }
            try (WorkerPool pool = new WorkerPool(2)) {
                var other = CompletableFuture.supplyAsync(() -> {
                    float[] last = null;
                    for (int i = 0; i < 20; i++) last = p.run(pool);
                    return last;
                });
                for (int i = 0; i < 20; i++) assertBitIdentical(expected, p.run(pool), "this thread, call " + i);
                assertBitIdentical(expected, other.get(), "the other thread");
            }
        }

        @Test
        void refusesWorkAfterClose() {
            WorkerPool pool = new WorkerPool(2);
            pool.close();
            assertThrows(IllegalStateException.class, () -> pool.parallelFor(3, t -> {}));
        }
    }
}
