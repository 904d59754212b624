package io.piece4j.bench;

import io.piece4j.cli.CliExtension;
import io.piece4j.cli.RunRecord;
import io.piece4j.tensor.Backends;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Collection;
import java.util.concurrent.Callable;

/** `piece bench ...`: benchmarks that print a human summary and, with --json, one JSON object as the last line. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (JMH kernels and end-to-end runs).",
        subcommands = {BenchCommand.Matmul.class, GenerateBench.class, TrainBench.class, CompareBench.class, KernelBench.class, BackendsBench.class,
                MethodBench.class})
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** Registers `bench` with the CLI. */
    public static final class Extension implements CliExtension {
        @Override public String name() { return "bench"; }
        @Override public Object command() { return new BenchCommand(); }
    }

    @Command(name = "matmul", mixinStandardHelpOptions = true,
            description = "JMH benchmark of C = A @ B (size x size) through a backend; GFLOP/s = 2 n^3 / time.")
    static final class Matmul implements Callable<Integer> {
        @Option(names = "--size", defaultValue = "1024") int size;
        @Option(names = "--backend", description = "default: the best available") String backend;
        @Option(names = "--threads", defaultValue = "0", description = "default: all cores") int threads;
        @Option(names = "--layout", defaultValue = "nn", description = "nn, nt (B transposed) or tn (A transposed)") String layout;
        @Option(names = "--json", description = "print one JSON object as the last line of stdout") boolean json;
        @Option(names = "--forks", defaultValue = "1") int forks;
        @Option(names = "--warmup", defaultValue = "5", description = "warm-up iterations of 1 s") int warmup;
        @Option(names = "--iterations", defaultValue = "5", description = "measured iterations of 1 s") int iterations;

        @Override
        public Integer call() throws RunnerException {
            if (!layout.matches("[nt][nt]")) throw new IllegalArgumentException("--layout must be nn, nt, tn or tt, got " + layout);
            String be;
            int t;
            try (var probe = Backends.create(backend, threads)) {
                be = probe.name();
                t = probe.threads();
            }
            ChainedOptionsBuilder opts = new OptionsBuilder()
                    .include(MatmulBenchmark.class.getName() + ".matmul")
                    .param("backend", be).param("size", String.valueOf(size)).param("threads", String.valueOf(t))
                    .param("layout", layout)
                    .forks(forks).warmupIterations(warmup).measurementIterations(iterations)
                    .warmupTime(TimeValue.seconds(1)).measurementTime(TimeValue.seconds(1))
                    .jvmArgsAppend("--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xss16m", "-XX:+UseParallelGC");
            if (json) opts.verbosity(org.openjdk.jmh.runner.options.VerboseMode.SILENT);
            Collection<RunResult> results = new Runner(opts.build()).run();
            RunResult r = results.iterator().next();
            double ms = r.getPrimaryResult().getScore();
            double err = r.getPrimaryResult().getScoreError();
            double flops = 2.0 * size * size * size;
            double gflops = flops / (ms * 1e-3) / 1e9;
            System.out.printf("matmul %dx%dx%d (%s) on %s, %d threads: %.3f ms +- %.3f, %.1f GFLOP/s%n",
                    size, size, size, layout, be, t, ms, Double.isNaN(err) ? 0 : err, gflops);
            if (json) {
                System.out.println(new RunRecord().put("benchmark", "matmul").put("backend", be).put("m", size).put("n", size)
                        .put("k", size).put("layout", layout).put("threads", t).put("gflops", gflops).put("ms_per_op", ms)
                        .put("ms_error", Double.isNaN(err) ? null : err).put("forks", forks).put("iterations", iterations)
                        .withEnvironment().toJson());
            }
            return 0;
        }
    }
}
