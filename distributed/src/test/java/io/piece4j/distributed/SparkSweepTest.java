package io.piece4j.distributed;

import io.piece4j.cli.SparkOptions;
import io.piece4j.cli.TokenizerSource;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A sweep on local[2]: every (variant, seed) a Spark task, and the output folder the local runner writes. */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class SparkSweepTest {
    static final List<String> METHODS = SparkFixture.SWEEP_METHODS;
    static final List<Long> SEEDS = SparkFixture.SWEEP_SEEDS;
    private static SparkFixture fixture;
    private static Path local;

    @BeforeAll
    static void runLocally() throws Exception {
        fixture = SparkFixture.shared();
        local = fixture.localSweep();
    }

    @Test
    void sweepOnLocalTwoEqualsTheLocalRunner() throws Exception {
        Path out = fixture.dir.resolve("spark-local");
        List<String> log = new ArrayList<>();
        SparkOptions options = SparkFixture.local(2);
        try (Backend be = Backends.create("simd", 1); JavaSparkContext sc = SparkConnection.open(options, "sweep test")) {
            SparkSweep.run(sc, options, fixture.spec(METHODS, SEEDS, out), new TokenizerSource("byte"), be, log::add);
        }
        ResultsComparison.assertSameResults(local, out);
        assertTrue(Files.size(out.resolve("report.md")) > 500, "the report is written as locally");
        assertEquals(METHODS.size() * SEEDS.size(), log.stream().filter(l -> l.contains("task(s) in")).count(), "one line per finished run: " + log);
    }

    @Test
    void sweepWithASharedFolderReadsInputsAndKeepsRunsThere() throws Exception {
        Path out = fixture.dir.resolve("spark-shared-out"), shared = fixture.dir.resolve("shared");
        SparkOptions options = new SparkOptions("local[2]", shared, 0, Map.of());
        try (Backend be = Backends.create("simd", 1); JavaSparkContext sc = SparkConnection.open(options, "sweep test")) {
            SparkSweep.run(sc, options, fixture.spec(METHODS, SEEDS, out), new TokenizerSource("byte"), be, s -> {});
        }
        ResultsComparison.assertSameResults(local, out);
        try (var s = Files.list(shared)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertTrue(names.stream().anyMatch(n -> n.startsWith("inputs-")), "inputs copied to the shared folder: " + names);
        }
    }
}
