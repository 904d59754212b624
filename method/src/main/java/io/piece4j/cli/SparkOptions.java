package io.piece4j.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The options that move continual, importance and train onto an Apache Spark cluster (the distributed module). */
public final class SparkOptions {
    @Option(names = "--spark", paramLabel = "MASTER",
            description = "run on Apache Spark: local[N], spark://HOST:PORT, yarn, k8s://...; the launcher adds the distributed module")
    String master;
    @Option(names = "--spark-shared", paramLabel = "DIR",
            description = "a folder the driver and every executor see (shared file system): inputs are read from it instead of broadcast, "
                    + "and a retried run resumes from its checkpoints there on any executor")
    Path shared;
    @Option(names = "--spark-partitions", paramLabel = "N", defaultValue = "0",
            description = "Spark tasks per importance pass or training step (default: the cluster's parallelism)")
    int partitions;
    @Option(names = "--spark-conf", paramLabel = "KEY=VALUE", description = "a Spark setting, repeatable (e.g. spark.executor.memory=4g)")
    Map<String, String> conf = new LinkedHashMap<>();

    public SparkOptions() {}

    public SparkOptions(String master, Path shared, int partitions, Map<String, String> conf) {
        this.master = master;
        this.shared = shared;
        this.partitions = partitions;
        this.conf = new LinkedHashMap<>(conf);
    }

    public boolean enabled() { return master != null; }
    public String master() { return master; }
    public Path shared() { return shared; }
    public int partitions() { return partitions; }
    public Map<String, String> conf() { return Map.copyOf(conf); }
}
