package io.piece4j.distributed;

import io.piece4j.cli.SparkOptions;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

import java.util.Map;

/**
 * Opens the Spark context piece4j runs on: the master checked first, executors started with the JVM flags
 * Spark and the Vector API need on JDK 25, piece4j's jars shipped to them, Spark's log cut to warnings.
 */
public final class SparkConnection {
    /** The JVM flags executors need: Spark's own opens on JDK 17+, and the Vector API of the simd backend. */
    public static final String EXECUTOR_JAVA_OPTIONS = String.join(" ",
            "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED", "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
            "-Djdk.reflect.useDirectMethodHandle=false", "-Dio.netty.tryReflectionSetAccessible=true",
            "-Xss16m", "-XX:+UseParallelGC");

    private SparkConnection() {}

    /** A context for options' master; the caller closes it. */
    public static JavaSparkContext open(SparkOptions options, String appName) {
        MasterAddress.checkReachable(options.master());
        if (System.getProperty("log4j2.configurationFile") == null) System.setProperty("log4j2.configurationFile", "piece4j-spark-log4j2.properties");
        SparkConf conf = new SparkConf().setMaster(options.master()).setAppName(appName)
                .set("spark.ui.enabled", "false")
                .set("spark.executor.extraJavaOptions", EXECUTOR_JAVA_OPTIONS)
                // importance results are P-long G and H per tree node: Spark's default cap of 1 GiB would refuse big models
                .set("spark.driver.maxResultSize", "0");
        if (isLocal(options.master())) {
            conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
        } else {
            conf.set("spark.jars", String.join(",", ApplicationJars.fromClassPath(System.getProperty("java.class.path"))));
        }
        for (Map.Entry<String, String> e : options.conf().entrySet()) conf.set(e.getKey(), e.getValue());
        try {
            return new JavaSparkContext(conf);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--spark " + options.master() + ": Spark did not start: " + e.getMessage(), e);
        }
    }

    static boolean isLocal(String master) { return master.equals("local") || master.startsWith("local["); }

    /** Threads each Spark task gives its backend: spark.task.cpus (1 unless set). */
    public static int taskThreads(JavaSparkContext sc) { return sc.getConf().getInt("spark.task.cpus", 1); }

    /** Tasks to split a pass into when the user gave none: the cluster's default parallelism. */
    public static int partitions(JavaSparkContext sc, SparkOptions options) {
        return options.partitions() > 0 ? options.partitions() : Math.max(1, sc.defaultParallelism());
    }
}
