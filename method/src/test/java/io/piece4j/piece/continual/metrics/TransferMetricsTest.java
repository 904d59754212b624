package io.piece4j.piece.continual.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OP, BWT (both forms), FWT and the spread over seeds against values worked out by hand. */
class TransferMetricsTest {
    private static final double EPS = 1e-12;

    // r[t][i]: score on task i after training task t
    private static final double[][] R = {
            {0.80, 0.10, 0.20},
            {0.60, 0.90, 0.30},
            {0.50, 0.70, 0.95}};
    private static final double[] BASE = {0.05, 0.00, 0.10};

    @Test
    void opIsTheMeanOfTheLastRow() {
        assertEquals((0.50 + 0.70 + 0.95) / 3, TransferMetrics.op(R), EPS);
    }

    @Test
    void opAfterAveragesTheTasksSeenSoFar() {
        assertEquals(0.80, TransferMetrics.opAfter(R, 0), EPS);
        assertEquals((0.60 + 0.90) / 2, TransferMetrics.opAfter(R, 1), EPS);
        assertEquals(TransferMetrics.op(R), TransferMetrics.opAfter(R, 2), EPS);
        assertThrows(IllegalArgumentException.class, () -> TransferMetrics.opAfter(R, 3));
    }

    @Test
    void bwtAveragesTheDropOfEachEarlierTask() {
        // (0.50 - 0.80) + (0.70 - 0.90) = -0.5 over 2 earlier tasks
        assertEquals(-0.25, TransferMetrics.bwt(R), EPS);
    }

    @Test
    void bwtOriginalDividesTheSameSumByT() {
        assertEquals(-0.5 / 3, TransferMetrics.bwtOriginal(R), EPS);
    }

    @Test
    void fwtAveragesTheGainOverTheBaseBeforeTraining() {
        // (r[0][1] - b1) + (r[1][2] - b2) = (0.10 - 0.00) + (0.30 - 0.10) = 0.3 over 2 tasks
        assertEquals(0.15, TransferMetrics.fwt(R, BASE), EPS);
    }

    @Test
    void oneTaskHasNoBackwardOrForwardTransfer() {
        double[][] one = {{0.7}};
        assertEquals(0.7, TransferMetrics.op(one), EPS);
        assertTrue(Double.isNaN(TransferMetrics.bwt(one)), "BWT of one task must be NaN");
        assertTrue(Double.isNaN(TransferMetrics.fwt(one, new double[] {0.1})), "FWT of one task must be NaN");
        assertEquals(0, TransferMetrics.bwtOriginal(one), EPS);
    }

    @Test
    void malformedMatricesAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TransferMetrics.op(new double[][] {{1, 2}, {3}}));
        assertTrue(e.getMessage().contains("row 1 has 1 scores; expected 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TransferMetrics.op(new double[0][]));
        assertThrows(IllegalArgumentException.class, () -> TransferMetrics.fwt(R, new double[] {0, 0}));
    }

    @Test
    void spreadOverSeedsIsTheSampleStandardDeviation() {
        // mean 7/3; squared deviations 16/9 + 1/9 + 25/9 = 42/9, over n - 1 = 2: 7/3
        assertEquals(7.0 / 3, TransferMetrics.meanOverSeeds(new double[] {1, 2, 4}), EPS);
        assertEquals(Math.sqrt(7.0 / 3), TransferMetrics.stdOverSeeds(new double[] {1, 2, 4}), EPS);
        assertEquals(0, TransferMetrics.stdOverSeeds(new double[] {0.3}), "one seed has no spread");
    }

    @Test
    void matricesAndVectorsAreAveragedElementwise() {
        double[][][] seeds = {{{1, 2}, {3, 4}}, {{3, 2}, {5, 8}}};
        double[][] mean = TransferMetrics.meanOverSeeds(seeds);
        double[][] std = TransferMetrics.stdOverSeeds(seeds);
        assertArrayEquals(new double[] {2, 2}, mean[0], EPS);
        assertArrayEquals(new double[] {4, 6}, mean[1], EPS);
        // two seeds: |a - b| / sqrt(2)
        assertArrayEquals(new double[] {Math.sqrt(2), 0}, std[0], EPS);
        assertArrayEquals(new double[] {Math.sqrt(2), 2 * Math.sqrt(2)}, std[1], EPS);
        assertArrayEquals(new double[] {0.5, 1.5}, TransferMetrics.meanOverSeeds(new double[][] {{0, 1}, {1, 2}}), EPS);
        assertArrayEquals(new double[] {Math.sqrt(0.5), Math.sqrt(0.5)},
                TransferMetrics.stdOverSeeds(new double[][] {{0, 1}, {1, 2}}), EPS);
        assertThrows(IllegalArgumentException.class, () -> TransferMetrics.meanOverSeeds(new double[][] {{0, 1}, {1}}));
        assertThrows(IllegalArgumentException.class, () -> TransferMetrics.meanOverSeeds(new double[0]));
    }
}
