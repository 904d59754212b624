package io.piece4j.bench;

import io.piece4j.cli.RunRecord;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.BackendProvider;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * `piece bench kernels`: the JMH benchmarks of {@link KernelBenchmark} for every backend found (or
 * those named), then one table of milliseconds per call with each backend's speed-up over ref.
 */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = "JMH benchmarks of the step's kernels (matmul nn/nt/tn, rmsnorm, softmax, attention fwd/bwd, masked AdamW, top-k) on every backend.")
final class KernelBench implements Callable<Integer> {
    static final List<String> KERNELS = List.of("matmulNn", "matmulNt", "matmulTn", "rmsnorm", "rmsnormBackward", "softmax",
            "attention", "attentionBackward", "maskedAdamw", "topK");

    @Option(names = "--backends", split = ",", description = "default: every available backend") List<String> backends;
    @Option(names = "--kernels", split = ",", description = "default: all of " + "matmulNn, matmulNt, matmulTn, rmsnorm, rmsnormBackward, "
            + "softmax, attention, attentionBackward, maskedAdamw, topK") List<String> kernels;
    @Option(names = "--threads", defaultValue = "0", description = "default: all cores") int threads;
    @Option(names = "--forks", defaultValue = "1") int forks;
    @Option(names = "--warmup", defaultValue = "3", description = "warm-up iterations of 1 s") int warmup;
    @Option(names = "--iterations", defaultValue = "3", description = "measured iterations of 1 s") int iterations;
    @Option(names = "--json", description = "print one JSON object as the last line of stdout") boolean json;

    @Override
    public Integer call() throws Exception {
        List<String> ks = kernels != null ? kernels : KERNELS;
        for (String k : ks) if (!KERNELS.contains(k)) throw new IllegalArgumentException("--kernels: unknown kernel " + k + "; expected one of " + KERNELS);
        List<String> bs = new ArrayList<>();
        if (backends != null) {
            for (String b : backends) Backends.create(b, 1).close(); // fails now, with the list found, on a name that is not here
            bs.addAll(backends);
        } else {
            for (BackendProvider p : Backends.providers()) if (p.isAvailable()) bs.add(p.name());
        }
        int t = threads > 0 ? threads : Backends.requestedThreads();
        ChainedOptionsBuilder opts = new OptionsBuilder()
                .include(KernelBenchmark.class.getName() + ".(" + String.join("|", ks) + ")$")
                .param("backend", bs.toArray(String[]::new)).param("threads", String.valueOf(t))
                .forks(forks).warmupIterations(warmup).measurementIterations(iterations)
                .warmupTime(TimeValue.seconds(1)).measurementTime(TimeValue.seconds(1))
                .jvmArgsAppend("--add-modules=jdk.incubator.vector", "--sun-misc-unsafe-memory-access=allow", "-Xss16m", "-XX:+UseParallelGC");
        if (json) opts.verbosity(VerboseMode.SILENT);
        Map<String, Map<String, Double>> ms = new LinkedHashMap<>(); // kernel -> backend -> ms per call
        for (String k : ks) ms.put(k, new LinkedHashMap<>());
        for (RunResult r : new Runner(opts.build()).run()) {
            String label = r.getParams().getBenchmark();
            String kernel = label.substring(label.lastIndexOf('.') + 1);
            ms.get(kernel).put(r.getParams().getParam("backend"), r.getPrimaryResult().getScore());
        }

        StringBuilder head = new StringBuilder("| kernel |"), rule = new StringBuilder("|---|");
        for (String b : bs) { head.append(' ').append(b).append(" ms |"); rule.append("---:|"); }
        for (String b : bs) if (!b.equals("ref")) { head.append(' ').append(b).append(" vs ref |"); rule.append("---:|"); }
        System.out.println();
        System.out.println("Kernels at stories15M's training shapes (T = 2048 tokens), " + t + " threads, JMH average time:");
        System.out.println(head);
        System.out.println(rule);
        List<RunRecord> rows = new ArrayList<>();
        for (String k : ks) {
            StringBuilder line = new StringBuilder("| " + k + " |");
            RunRecord row = new RunRecord().put("kernel", k);
            Map<String, Double> byBackend = ms.get(k);
            for (String b : bs) {
                Double v = byBackend.get(b);
                line.append(' ').append(v == null ? "n/a" : String.format(Locale.ROOT, "%.3f", v)).append(" |");
                row.put(b + "_ms", v);
            }
            Double ref = byBackend.get("ref");
            for (String b : bs) {
                if (b.equals("ref")) continue;
                Double v = byBackend.get(b);
                Double speedup = v == null || ref == null ? null : ref / v;
                line.append(' ').append(speedup == null ? "n/a" : String.format(Locale.ROOT, "%.1fx", speedup)).append(" |");
                row.put(b + "_speedup_vs_ref", speedup);
            }
            System.out.println(line);
            rows.add(row);
        }
        if (json) {
            System.out.println(new RunRecord().put("benchmark", "kernels").put("backends", bs).put("threads", t).put("forks", forks)
                    .put("iterations", iterations).put("rows", rows).withEnvironment().toJson());
        }
        return 0;
    }
}
