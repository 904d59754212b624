package io.piece4j.distributed;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceAccumulator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data-parallel importance pass on local[2] against the local pass and an independent tree sum. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DistributedImportanceTest {
    static final int LEAVES = 5;
    private static SparkFixture fixture;
    private static Backend backend;
    private static JavaSparkContext sc;
    private static LlamaModel model;
    private static List<TokenBatch> batches;
    private static ModelShipment shipment;

    @BeforeAll
    static void start() throws Exception {
        fixture = SparkFixture.shared();
        backend = Backends.create("simd", 1);
        sc = SparkConnection.open(SparkFixture.local(2), "importance test");
        model = ModelFiles.load(fixture.model, backend);
        batches = fixture.importanceBatches(3); // 20 examples: 7 batches, the last of 2
        shipment = ModelShipment.of(sc, fixture.model, "simd", 1, null);
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.close();
        if (backend != null) backend.close();
    }

    private static ImportanceAccumulator distributed(int leaves, int partitions) {
        return DistributedImportance.accumulate(sc, shipment, model, batches, ImportanceTree.of(batches.size(), leaves), partitions);
    }

    private static ImportanceAccumulator localPass() throws Exception {
        try (Backend be = Backends.create("simd", 1)) {
            ImportanceAccumulator acc = ImportanceEstimation.accumulate(ModelFiles.load(fixture.model, be), batches);
            return ImportanceAccumulator.of(backend, acc.g().toArray(), acc.h().toArray(), acc.batches());
        }
    }

    @Test
    void oneLeafGivesTheLocalPassBitForBit() throws Exception {
        ImportanceAccumulator local = localPass(), spark = distributed(1, 2);
        assertArrayEquals(local.g().toArray(), spark.g().toArray(), "G with one leaf");
        assertArrayEquals(local.h().toArray(), spark.h().toArray(), "H with one leaf");
        assertEquals(batches.size(), spark.batches());
    }

    @Test
    void everyPartitionCountGivesTheSameBitsAsTheTreeWrittenOut() throws Exception {
        ImportanceReference ref;
        try (Backend be = Backends.create("simd", 1)) {
            ref = new ImportanceReference(ModelFiles.load(fixture.model, be), batches);
        }
        float[][] expected = ref.tree(LEAVES, 0, LEAVES);
        for (int parts : new int[] {1, 2, 3, LEAVES}) {
            ImportanceAccumulator acc = distributed(LEAVES, parts);
            assertArrayEquals(expected[0], acc.g().toArray(), "G over " + parts + " partition(s)");
            assertArrayEquals(expected[1], acc.h().toArray(), "H over " + parts + " partition(s)");
        }
    }

    /**
     * The stated tolerance: any two orders of summing N float terms differ by at most 2 (N - 1) u sum|terms| with
     * u = 2^-24 (each order is within (N - 1) u sum|terms| of the exact sum); the masks may differ only at
     * coordinates whose score interval under that bound overlaps the k-th score's.
     */
    @Test
    void treeSumsEqualTheLocalPassWithinTheRoundingBoundAndSelectTheSameMaskOutsideTies() throws Exception {
        ImportanceReference ref;
        try (Backend be = Backends.create("simd", 1)) {
            ref = new ImportanceReference(ModelFiles.load(fixture.model, be), batches);
        }
        double[][] scale = ref.absoluteSums();
        double u = Math.ulp(1.0f) / 2, gamma = 2.0 * (batches.size() - 1) * u;
        ImportanceAccumulator local = localPass(), spark = distributed(LEAVES, 2);
        float[] gl = local.g().toArray(), hl = local.h().toArray(), gs = spark.g().toArray(), hs = spark.h().toArray();
        int differing = 0;
        for (int i = 0; i < gl.length; i++) {
            double dg = gamma * scale[0][i] + Math.ulp(gl[i]), dh = gamma * scale[1][i] + Math.ulp(hl[i]);
            assertTrue(Math.abs(gl[i] - gs[i]) <= dg, "G[" + i + "] " + gs[i] + " vs local " + gl[i] + ": off by more than " + dg);
            assertTrue(Math.abs(hl[i] - hs[i]) <= dh, "H[" + i + "] " + hs[i] + " vs local " + hl[i] + ": off by more than " + dh);
            if (gl[i] != gs[i] || hl[i] != hs[i]) differing++;
        }
        for (Estimator est : Estimator.values()) {
            Mask ml = ImportanceEstimation.select(local, model.layout(), est, 0.02, "t", "h", 3);
            Mask ms = ImportanceEstimation.select(spark, model.layout(), est, 0.02, "t", "h", 3);
            double[] slack = new double[gl.length];
            float[] score = new float[gl.length];
            for (int i = 0; i < gl.length; i++) {
                double dg = gamma * scale[0][i] + Math.ulp(gl[i]), dh = gamma * scale[1][i] + Math.ulp(hl[i]);
                score[i] = est.score(gl[i], hl[i]);
                // the score's change when G and H move within their bounds (PIECE-S: |G| / sqrt(H + 1); PIECE-F: H)
                slack[i] = est == Estimator.PIECE_F ? dh : dg / Math.sqrt(hl[i] + 1) + Math.abs(gl[i]) * dh / (2 * Math.pow(hl[i] + 1, 1.5));
            }
            int kth = ml.indices()[0];
            for (int i : ml.indices()) if (score[i] < score[kth] || score[i] == score[kth] && i > kth) kth = i;
            Set<Integer> a = new HashSet<>(), b = new HashSet<>();
            for (int i : ml.indices()) a.add(i);
            for (int i : ms.indices()) b.add(i);
            Set<Integer> diff = new HashSet<>(a);
            diff.addAll(b);
            Set<Integer> both = new HashSet<>(a);
            both.retainAll(b);
            diff.removeAll(both);
            for (int i : diff) {
                assertTrue(Math.abs(score[i] - score[kth]) <= slack[i] + slack[kth] + Math.ulp(score[kth]),
                        est + ": index " + i + " (score " + score[i] + ") is in one mask only but is not tied with the k-th score " + score[kth]);
            }
            System.out.printf("importance %s: %d of %d coordinates differ from the local pass in G or H; masks differ at %d of k = %d%n",
                    est, differing, gl.length, diff.size(), ml.size());
        }
        assertTrue(Arrays.equals(gl, gs) == (differing == 0), "the count of differing coordinates is consistent");
    }
}
