package io.piece4j.distributed;

import io.piece4j.cli.SparkOptions;
import io.piece4j.cli.TokenizerSource;
import io.piece4j.piece.continual.ContinualResults;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.continual.JsonFiles;
import io.piece4j.piece.continual.RunState;
import io.piece4j.tensor.spi.Backend;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A continual invocation on Spark: the driver writes config.json and base.json as the local runner does, each
 * unfinished (variant, seed) becomes a one-task Spark job (jobs are submitted together, so the cluster runs as
 * many at once as it has task slots), every finished run's folder is written into the output folder, and
 * results.json and the report are built from the folder exactly as locally. Spark retries a failed task
 * (spark.task.maxFailures) and the retried run resumes from what the failed attempt left.
 */
public final class SparkSweep implements ContinualRun.RunExecutor {
    private final JavaSparkContext sc;
    private final SweepInputs inputs;
    private final Consumer<String> log;
    private final List<SweepRun.Outcome> outcomes = new ArrayList<>();

    public SparkSweep(JavaSparkContext sc, SweepInputs inputs, Consumer<String> log) {
        this.sc = sc;
        this.inputs = inputs;
        this.log = log;
    }

    /** Runs spec's invocation on sc; the driver's backend evaluates the base model, executors use one of the same name. */
    public static ContinualResults run(JavaSparkContext sc, SparkOptions options, ContinualRun.Spec spec, TokenizerSource tokenizer,
                                       Backend backend, Consumer<String> log) throws IOException {
        SweepInputs in = SweepInputs.of(sc, spec, tokenizer, backend.name(), SparkConnection.taskThreads(sc), options.shared());
        return new ContinualRun(spec, backend).executeRunsWith(new SparkSweep(sc, in, log)).run();
    }

    /** What each run reported, in the order they finished (attempt numbers, resumes, executors). */
    public List<SweepRun.Outcome> outcomes() { return List.copyOf(outcomes); }

    @Override
    public void execute(List<ContinualRun.RunKey> runs) throws IOException {
        int taskCount = JsonFiles.MAPPER.readValue(inputs.suiteJson(), io.piece4j.piece.continual.Suite.class).tasks().size();
        List<ContinualRun.RunKey> pending = new ArrayList<>();
        for (ContinualRun.RunKey k : runs) if (finishedTasks(k.dir()) < taskCount) pending.add(k);
        if (pending.isEmpty()) return;
        log.accept(String.format("spark: %d run(s) on %s (%d task slot(s))", pending.size(), sc.master(), sc.defaultParallelism()));
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(pending.size(), 64));
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (ContinualRun.RunKey k : pending) {
                futures.add(pool.submit(() -> {
                    sc.setJobDescription("piece4j " + k.variant().name() + " seed " + k.seed());
                    SweepRun.Request req = new SweepRun.Request(k.variant().name(), k.seed());
                    SweepInputs in = inputs;
                    SweepRun.Outcome o = sc.parallelize(List.of(req), 1).map(r -> SweepRun.run(in, r)).collect().getFirst();
                    store(o, k.dir());
                    synchronized (outcomes) { outcomes.add(o); }
                    log.accept(String.format("spark: [%d/%d] %s seed %d: %d task(s) in %.1f s on executor %s%s", done.incrementAndGet(),
                            pending.size(), o.variant(), o.seed(), o.tasks(), o.seconds(), o.executor(),
                            o.attempt() > 0 || o.firstTask() > 0 ? " (attempt " + (o.attempt() + 1) + ", resumed after task " + o.firstTask() + ")" : ""));
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    sc.cancelAllJobs();
                    Throwable c = e.getCause();
                    throw new IOException("a run failed on the cluster: " + rootMessage(c), c);
                } catch (InterruptedException e) {
                    sc.cancelAllJobs();
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while the cluster ran the sweep", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static int finishedTasks(Path runDir) throws IOException {
        Path state = runDir.resolve("state.json");
        return Files.exists(state) ? JsonFiles.read(state, RunState.class).tasks().size() : 0;
    }

    /** Writes a finished run's files into its folder of the output: each to a temporary name then renamed, state.json last. */
    private static void store(SweepRun.Outcome o, Path dir) {
        try {
            Map<String, byte[]> files = o.files() != null ? o.files() : SweepRun.readRunFolder(Path.of(o.sharedDir()));
            Files.createDirectories(dir);
            List<String> names = new ArrayList<>(files.keySet());
            names.sort((a, b) -> Boolean.compare(a.equals("state.json"), b.equals("state.json")));
            for (String name : names) {
                Path target = dir.resolve(name);
                Files.createDirectories(target.getParent());
                Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
                Files.write(tmp, files.get(name));
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            if (o.sharedDir() != null) ShippedFiles.deleteTree(Path.of(o.sharedDir()));
        } catch (IOException e) {
            throw new UncheckedIOException("writing run " + o.variant() + " seed " + o.seed() + " into " + dir + ": " + e.getMessage(), e);
        }
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        int nl = m.indexOf('\n');
        return (nl > 0 ? m.substring(0, nl) : m) + (c != t && c.getMessage() != null ? " (" + c.getMessage().lines().findFirst().orElse("") + ")" : "");
    }

}
