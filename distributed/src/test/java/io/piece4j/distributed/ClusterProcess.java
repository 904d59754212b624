package io.piece4j.distributed;

import java.io.IOException;
import java.util.Arrays;

/**
 * Runs a Spark standalone master or worker in a JVM of its own for the tests, and ends that JVM when the
 * test JVM that started it goes away (its standard input closes), so no master or worker outlives a killed
 * test run.
 */
public final class ClusterProcess {
    private ClusterProcess() {}

    public static void main(String[] args) throws Exception {
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) { /* the parent never writes; EOF means it is gone */ }
            } catch (IOException ignored) {
                // the pipe broke: the parent is gone too
            }
            Runtime.getRuntime().halt(0);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "master" -> org.apache.spark.deploy.master.Master.main(rest);
            case "worker" -> org.apache.spark.deploy.worker.Worker.main(rest);
            default -> throw new IllegalArgumentException("expected master or worker, got " + args[0]);
        }
    }
}
