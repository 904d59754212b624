package io.piece4j.distributed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where an executor keeps piece4j's files: a folder under the machine's temporary directory, shared by the
 * executors of one machine and kept when an executor dies, so a retried run on the same machine finds its
 * checkpoints.
 */
final class ExecutorRuntime {
    private ExecutorRuntime() {}

    static Path scratch() {
        Path p = Path.of(System.getProperty("piece.spark.scratch", System.getProperty("java.io.tmpdir"))).resolve("piece4j-spark");
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException("creating the executor's scratch folder " + p + ": " + e.getMessage(), e);
        }
        return p;
    }
}
