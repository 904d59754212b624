package io.piece4j.piece;

import io.piece4j.tensor.Rng;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The radix top-k against a full sort, ties, NaN and ineligible ranges; and the mask file round trip. */
class TopKSelectorTest {

    /** Reference: sort eligible indices by (score descending, index ascending), take k, sort ascending. */
    private static int[] bySorting(float[] s, TopKSelector.Range[] eligible, int k) {
        return Arrays.stream(eligible).flatMapToInt(r -> IntStream.range((int) r.begin(), (int) r.end())).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -(Float.isNaN(s[i]) || s[i] < 0 ? 0 : s[i])).thenComparingInt(i -> i))
                .limit(k).mapToInt(Integer::intValue).sorted().toArray();
    }

    private static TopKSelector.ScoreSource source(float[] s) {
        return (start, dst, len) -> System.arraycopy(s, (int) start, dst, 0, len);
    }

    @Test
    void matchesSortingOnRandomScoresWithManyTiesAndNaN() {
        Rng rng = new Rng(5);
        for (int trial = 0; trial < 20; trial++) {
            int n = 1 + rng.nextInt(200_000);
            float[] s = new float[n];
            for (int i = 0; i < n; i++) {
                int kind = rng.nextInt(10);
                s[i] = kind == 0 ? 0f : kind == 1 ? 0.5f : kind == 2 ? Float.NaN : kind == 3 ? -1f : rng.nextFloat() * (float) Math.pow(10, rng.nextInt(8) - 4);
            }
            TopKSelector.Range[] el = {new TopKSelector.Range(Math.min(n, 17), n)};
            int eligible = n - Math.min(n, 17);
            int k = eligible == 0 ? 0 : 1 + rng.nextInt(eligible);
            assertArrayEquals(bySorting(s, el, k), TopKSelector.select(source(s), el, k), "trial " + trial + " n=" + n + " k=" + k);
        }
    }

    @Test
    void tiesGoToTheLowerFlatIndex() {
        float[] s = {1, 3, 3, 2, 3, 3};
        int[] got = TopKSelector.select(source(s), new TopKSelector.Range[] {new TopKSelector.Range(0, 6)}, 3);
        assertArrayEquals(new int[] {1, 2, 4}, got);
    }

    @Test
    void skipsIneligibleRangesEvenWithTheLargestScores() {
        float[] s = {100, 100, 1, 2, 100, 3};
        TopKSelector.Range[] el = {new TopKSelector.Range(2, 4), new TopKSelector.Range(5, 6)};
        assertArrayEquals(new int[] {3, 5}, TopKSelector.select(source(s), el, 2));
        assertThrows(IllegalArgumentException.class, () -> TopKSelector.select(source(s), el, 4));
    }

    @Test
    void budgetIsFloorOfRatioTimesEligibleButAtLeastOne() {
        assertEquals(25, Mask.budget(0.001, 25_999));
        assertEquals(1, Mask.budget(0.001, 10));
        assertEquals(10, Mask.budget(1.0, 10));
    }

    @Test
    void maskFileRoundTripsAndRejectsCorruption() throws Exception {
        Path dir = Files.createTempDirectory("mask");
        Mask m = new Mask(new int[] {3, 17, 99, 1000}, 2000, 1900, 0.002, "piece-s", "task-a", "sha256:ab", 5, 4);
        Path f = dir.resolve("a.mask");
        MaskFile.write(m, f);
        assertEquals(m, MaskFile.read(f));
        byte[] bytes = Files.readAllBytes(f);
        bytes[bytes.length - 2] ^= 1; // flip a bit of the last index
        Files.write(f, bytes);
        var e = assertThrows(java.io.IOException.class, () -> MaskFile.read(f));
        assertTrue(e.getMessage().contains("crc32"), e.getMessage());
        Files.write(f, Arrays.copyOf(bytes, bytes.length - 3));
        var t = assertThrows(java.io.IOException.class, () -> MaskFile.read(f));
        assertTrue(t.getMessage().contains("'k'"), t.getMessage());
    }

    @Test
    void jaccardOfMasks() {
        Mask a = new Mask(new int[] {1, 2, 3, 4}, 10, 10, 0.4, "piece-f", "a", "h", 1, 1);
        Mask b = new Mask(new int[] {3, 4, 5, 6}, 10, 10, 0.4, "piece-f", "b", "h", 1, 1);
        assertEquals(2.0 / 6.0, Mask.jaccard(a, b), 1e-15);
        assertEquals(1.0, Mask.jaccard(a, a), 0);
    }
}
