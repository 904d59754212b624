package io.piece4j.distributed;

import io.piece4j.cli.SparkOptions;
import io.piece4j.cli.TokenizerSource;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.piece.ImportanceAccumulator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.continual.JsonFiles;
import io.piece4j.piece.continual.RunState;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real multi-process cluster: a standalone master and two workers, each a JVM of its own on 127.0.0.1, and
 * executors launched by the workers. A sweep, a distributed importance pass and data-parallel training give
 * the local numbers; killing a worker in the middle of a sweep still gives them. Every test is bounded in
 * time and the cluster is stopped after the last one, failed or not.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class StandaloneClusterTest {
    static final List<String> METHODS = SparkFixture.SWEEP_METHODS;
    static final List<Long> SEEDS = SparkFixture.SWEEP_SEEDS;
    private static SparkFixture fixture;
    private static Path local;
    private static LoopbackCluster cluster;
    private static JavaSparkContext sc;
    private static SparkOptions options;

    @BeforeAll
    static void start() throws Exception {
        fixture = SparkFixture.shared();
        local = fixture.localSweep();
        cluster = LoopbackCluster.start(2, "1g");
        options = new SparkOptions(cluster.url(), null, 2, Map.of("spark.driver.host", "127.0.0.1", "spark.driver.bindAddress", "127.0.0.1",
                "spark.executor.memory", "640m", "spark.executor.cores", "1", "spark.cores.max", "2"));
        sc = SparkConnection.open(options, "standalone cluster test");
    }

    @AfterAll
    static void stop() {
        try {
            if (sc != null) sc.close();
        } finally {
            if (cluster != null) cluster.close();
        }
    }

    @Test
    @Order(1)
    void sweepOnTwoWorkersEqualsTheLocalRunner() throws Exception {
        Path out = fixture.dir.resolve("cluster");
        List<String> log = new ArrayList<>();
        try (Backend be = Backends.create("simd", 1)) {
            SparkSweep.run(sc, options, fixture.spec(METHODS, SEEDS, out), new TokenizerSource("byte"), be, log::add);
        } catch (RuntimeException | java.io.IOException e) {
            throw new AssertionError("sweep failed; cluster logs:\n" + cluster.logs(), e);
        }
        ResultsComparison.assertSameResults(local, out);
        assertTrue(log.stream().anyMatch(l -> !l.contains("on executor driver")), "runs ran on the workers' executors: " + log);
    }

    @Test
    @Order(2)
    void importanceOverTwoWorkersGivesTheTreeBitsAndOneLeafTheLocalPass() throws Exception {
        try (Backend be = Backends.create("simd", 1)) {
            LlamaModel model = ModelFiles.load(fixture.model, be);
            List<TokenBatch> batches = fixture.importanceBatches(3);
            ModelShipment ship = ModelShipment.of(sc, fixture.model, "simd", 1, null);
            ImportanceReference ref = new ImportanceReference(ModelFiles.load(fixture.model, be), batches);
            float[][] tree = ref.tree(DistributedImportanceTest.LEAVES, 0, DistributedImportanceTest.LEAVES);
            ImportanceAccumulator spark = DistributedImportance.accumulate(sc, ship, model, batches,
                    ImportanceTree.of(batches.size(), DistributedImportanceTest.LEAVES), 2);
            assertArrayEquals(tree[0], spark.g().toArray(), "G over two workers");
            assertArrayEquals(tree[1], spark.h().toArray(), "H over two workers");
            ImportanceAccumulator oneLeaf = DistributedImportance.accumulate(sc, ship, model, batches, ImportanceTree.of(batches.size(), 1), 2);
            ImportanceAccumulator localPass = ImportanceEstimation.accumulate(ModelFiles.load(fixture.model, be), batches);
            assertArrayEquals(localPass.g().toArray(), oneLeaf.g().toArray(), "G with one leaf: the local pass's bits");
            assertArrayEquals(localPass.h().toArray(), oneLeaf.h().toArray(), "H with one leaf: the local pass's bits");
        }
    }

    @Test
    @Order(3)
    void trainingOverTwoWorkersEqualsTheLocalTrainer() throws Exception {
        Mask mask;
        try (Backend be = Backends.create("simd", 1)) {
            mask = DataParallelTrainerTest.mask(fixture, ModelFiles.load(fixture.model, be));
        }
        Object[] expected = DataParallelTrainerTest.local(fixture, mask);
        Object[] actual = DataParallelTrainerTest.distributed(sc, fixture, mask, 2);
        DataParallelTrainer.Result r = (DataParallelTrainer.Result) actual[1];
        assertEquals(expected[1], r.training().losses(), "loss of every optimizer step");
        assertArrayEquals((float[]) expected[0], (float[]) actual[0], "trained parameters (all P)");
        System.out.println("exchange (two workers): " + r.exchange().summary());
    }

    /** Last: it leaves the cluster with one worker. */
    @Test
    @Order(4)
    void killingAWorkerMidSweepReschedulesItsRunWhichResumesToTheSameNumbers() throws Exception {
        Path out = fixture.dir.resolve("cluster-killed"), shared = fixture.dir.resolve("cluster-shared");
        SparkOptions withShared = new SparkOptions(options.master(), shared, 2, options.conf());
        List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
        Backend be = Backends.create("simd", 1);
        SweepInputs in = SweepInputs.of(sc, fixture.spec(METHODS, SEEDS, out), new TokenizerSource("byte"), "simd", 1, shared);
        SparkSweep sweep = new SparkSweep(sc, in, log::add);
        CompletableFuture<Void> running = CompletableFuture.runAsync(() -> {
            try {
                new ContinualRun(fixture.spec(METHODS, SEEDS, out), be).executeRunsWith(sweep).run();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            // kill the worker whose executor runs a run that has finished its first task but not its last
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
            boolean killed = false;
            while (!running.isDone() && System.nanoTime() < deadline && !killed) {
                int worker = workerRunningAMidwayRun(Path.of(in.runRoot()));
                if (worker >= 0) {
                    cluster.killWorker(worker);
                    killed = true;
                }
                Thread.sleep(25);
            }
            running.get(5, TimeUnit.MINUTES);
            assertTrue(killed, "the sweep ended before a worker ran a run midway, so none was killed: " + log);
        } catch (Exception | AssertionError e) {
            throw new AssertionError("killed-worker sweep failed: " + e + "\nlog: " + log + "\ncluster logs:\n" + cluster.logs(), e);
        } finally {
            be.close();
        }
        ResultsComparison.assertSameResults(local, out);
        assertTrue(sweep.outcomes().stream().anyMatch(o -> o.attempt() > 0 && o.firstTask() > 0),
                "a run was retried and resumed after its first task: " + sweep.outcomes().stream()
                        .map(o -> o.variant() + "/" + o.seed() + " attempt " + o.attempt() + " from task " + o.firstTask()).toList());
    }

    /** A worker whose executor runs a run (under root) that has finished one of its two tasks, or -1. */
    private static int workerRunningAMidwayRun(Path root) throws Exception {
        Path attempts = root.resolve("attempts");
        if (!Files.isDirectory(attempts)) return -1;
        try (Stream<Path> s = Files.list(attempts)) {
            for (Path a : s.filter(p -> p.toString().endsWith(".json")).toList()) {
                try {
                    SweepRun.Attempt at = JsonFiles.read(a, SweepRun.Attempt.class);
                    String name = a.getFileName().toString().replace(".json", "");
                    int cut = name.lastIndexOf("-seed-");
                    Path state = root.resolve("runs").resolve(name.substring(0, cut)).resolve("seed-" + name.substring(cut + 6)).resolve("state.json");
                    if (!Files.exists(state) || JsonFiles.read(state, RunState.class).tasks().size() != 1) continue;
                    int w = cluster.workerOf(at.pid());
                    if (w >= 0) return w;
                } catch (java.io.IOException goneMeanwhile) {
                    // a finished run's folder is deleted once the driver has its files
                }
            }
        }
        return -1;
    }
}
