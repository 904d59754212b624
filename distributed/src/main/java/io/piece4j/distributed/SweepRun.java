package io.piece4j.distributed;

import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.continual.JsonFiles;
import io.piece4j.piece.continual.RunState;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.stream.Stream;

/**
 * One (variant, seed) of a sweep as a Spark task: the local runner's {@link ContinualRun#runOne} into this
 * machine's run folder. A retried task finds the folder its failed attempt left (on the same machine, or on
 * any machine with --spark-shared) and resumes from the last finished task and the trainer's checkpoint.
 */
final class SweepRun {
    private SweepRun() {}

    /** Which run. */
    record Request(String variant, long seed) implements Serializable {}

    /**
     * What came of it.
     *
     * @param firstTask  tasks the folder already held when this attempt started (more than 0: it resumed)
     * @param tasks      tasks finished in all
     * @param attempt    Spark's attempt number of the task (0 = first)
     * @param executor   the executor that ran it
     * @param files      the run folder's files (relative name -> bytes), without in-task checkpoints; null when the
     *                   folder is on the shared file system (sharedDir)
     * @param sharedDir  the run folder on the shared file system, or null
     */
    record Outcome(String variant, long seed, int firstTask, int tasks, int attempt, String executor,
                   HashMap<String, byte[]> files, String sharedDir, double seconds) implements Serializable {}

    /** Which executor (and JVM) runs an attempt of a run, and from which finished task it starts. */
    record Attempt(String executor, long pid, int attempt, int firstTask) {}

    static Outcome run(SweepInputs in, Request r) throws IOException {
        long t0 = System.nanoTime();
        ContinualRun.Spec spec = in.spec();
        try (Backend be = Backends.create(in.backend(), in.threads())) {
            ContinualRun run = new ContinualRun(spec, be);
            ContinualRun.Variant v = run.variants().stream().filter(x -> x.name().equals(r.variant())).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no variant " + r.variant() + " in " + run.variants()));
            Path dir = spec.out().resolve("runs").resolve(v.name()).resolve("seed-" + r.seed());
            Path statePath = dir.resolve("state.json");
            int first = Files.exists(statePath) ? JsonFiles.read(statePath, RunState.class).tasks().size() : 0;
            TaskContext tc = TaskContext.get();
            int attempt = tc == null ? 0 : tc.attemptNumber();
            String executor = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
            // where each attempt runs, beside the run folders (not copied to the output): for whoever watches a sweep
            JsonFiles.write(spec.out().resolve("attempts").resolve(v.name() + "-seed-" + r.seed() + ".json"), new Attempt(executor,
                    ProcessHandle.current().pid(), attempt, first));
            // one writer per run folder: a retry claims it, and an earlier attempt still running stops at its next step
            run.ownedBy(executor + "/" + ProcessHandle.current().pid() + "/attempt-" + attempt + "/" + (tc == null ? 0 : tc.taskAttemptId()));
            RunState state = run.runOne(v, r.seed());
            double secs = (System.nanoTime() - t0) / 1e9;
            if (in.runRoot() != null) return new Outcome(r.variant(), r.seed(), first, state.tasks().size(), attempt, executor, null, dir.toString(), secs);
            HashMap<String, byte[]> files = readRunFolder(dir);
            ShippedFiles.deleteTree(dir); // the driver has everything now; a lost result reruns the (deterministic) run
            return new Outcome(r.variant(), r.seed(), first, state.tasks().size(), attempt, executor, files, null, secs);
        }
    }

    /** Every file of a run folder but in-task checkpoints and the methods' scratch, by relative name. */
    static HashMap<String, byte[]> readRunFolder(Path dir) throws IOException {
        HashMap<String, byte[]> out = new HashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(f).toString().replace('\\', '/');
                if (rel.startsWith("scratch/") || rel.matches("task-\\d+\\.ckpt") || rel.endsWith(".tmp") || rel.equals(ContinualRun.OWNER_FILE)) continue;
                out.put(rel, Files.readAllBytes(f));
            }
        }
        return out;
    }
}
