package io.piece4j.bench;

import io.piece4j.backend.opencl.OpenClBackend;
import io.piece4j.cli.RunRecord;
import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.optim.AdamW;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceAccumulator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.ActivationArena;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BackendProvider;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Kernels and training steps on every backend, side by side in one table: the same shapes, the same
 * seeded data, one backend after the other in the same run. Each figure is the median of timed rounds
 * after a warm-up; every timed kernel call ends by reading one element back, so a device backend's
 * asynchronous queue is finished inside the time. For opencl the table also gives the program build
 * (the first call's one-off cost) and the first training step apart from the steady-state figures.
 */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "Kernel and training-step figures of every available backend (ref, simd, opencl, ...) in one table.")
final class BackendsBench implements Callable<Integer> {
    @Option(names = "--backends", split = ",", description = "backends to run, in this order (default: every available one)")
    List<String> names;
    @Option(names = "--config", defaultValue = "stories15M", description = "model shape of the step rows: stories15M or stories110M") String config;
    @Option(names = "--batch", defaultValue = "2") int batch;
    @Option(names = "--seq", defaultValue = "64") int seq;
    @Option(names = "--size", defaultValue = "1024", description = "square matrix product size") int size;
    @Option(names = "--ratio", defaultValue = "0.001", description = "PIECE mask ratio of the masked step") double ratio;
    @Option(names = "--runs", defaultValue = "3", description = "timed rounds per figure") int runs;
    @Option(names = "--warmup-seconds", defaultValue = "2", description = "warm-up before the timed runs of each figure (at least one run)")
    double warmupSeconds;
    @Option(names = "--threads", defaultValue = "0") int threads;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--profile", description = "also time every opencl kernel of a full step on the device (OpenCL events)") boolean profile;
    @Option(names = "--json", description = "print one JSON object as the last line of stdout") boolean json;

    private static final double ROUND_SECONDS = 0.3;

    /** One row of the table: a name, the unit, and how to turn seconds into the figure. */
    private record Row(String name, String unit, double work) {
        double figure(double seconds) { return work / seconds; }
    }

    @Override
    public Integer call() throws Exception {
        List<String> backends = names != null ? names
                : Backends.providers().stream().filter(BackendProvider::isAvailable).map(BackendProvider::name).toList();
        LlamaConfig cfg = BenchModels.named(config);
        int tokens = batch * seq;
        Map<String, Map<String, Double>> seconds = new LinkedHashMap<>(); // backend -> row -> median seconds
        Map<String, String> notes = new LinkedHashMap<>();
        List<Row> rows = new ArrayList<>();
        double mmFlops = 2.0 * size * size * size;
        double linFlops = 2.0 * tokens * cfg.hiddenDim() * cfg.dim();
        double attFlops = 4.0 * batch * cfg.heads() * seq * (seq + 1) / 2.0 * cfg.headDim(); // q.k and p.v, causal half
        double stepFlops = 6.0 * (double) parameterCount(cfg) * tokens;
        rows.add(new Row("matmul " + size + "^3 (nn)", "GFLOP/s", mmFlops / 1e9));
        rows.add(new Row("linear x W^T (" + tokens + "x" + cfg.dim() + " -> " + cfg.hiddenDim() + ")", "GFLOP/s", linFlops / 1e9));
        rows.add(new Row("attention fwd (" + batch + "x" + seq + ", " + cfg.heads() + " heads)", "GFLOP/s", attFlops / 1e9));
        rows.add(new Row("rmsnorm fwd (" + tokens + "x" + cfg.dim() + ")", "Melem/s", tokens * (double) cfg.dim() / 1e6));
        rows.add(new Row("cross-entropy fwd (" + tokens + "x" + cfg.vocabSize() + ")", "Melem/s", tokens * (double) cfg.vocabSize() / 1e6));
        rows.add(new Row("full step (dense backward + AdamW)", "tokens/s", tokens));
        rows.add(new Row("masked step (PIECE, r=" + ratio + ")", "tokens/s", tokens));
        rows.add(new Row("importance step (backward + G, H)", "tokens/s", tokens));

        for (String name : backends) {
            Map<String, Double> s = new LinkedHashMap<>();
            long t0 = System.nanoTime();
            try (Backend be = Backends.create(name, threads)) {
                double created = (System.nanoTime() - t0) / 1e9;
                System.err.println("bench backends: " + be.description());
                s.put(rows.get(0).name, kernelSeconds(be, Kernel.MATMUL, cfg));
                s.put(rows.get(1).name, kernelSeconds(be, Kernel.LINEAR, cfg));
                s.put(rows.get(2).name, kernelSeconds(be, Kernel.ATTENTION, cfg));
                s.put(rows.get(3).name, kernelSeconds(be, Kernel.RMSNORM, cfg));
                s.put(rows.get(4).name, kernelSeconds(be, Kernel.CROSS_ENTROPY, cfg));
                double[] first = new double[1];
                s.put(rows.get(5).name, stepSeconds(be, cfg, "full", first));
                s.put(rows.get(6).name, stepSeconds(be, cfg, "masked", null));
                s.put(rows.get(7).name, stepSeconds(be, cfg, "importance", null));
                String note = be.description();
                if (be instanceof OpenClBackend o) {
                    note += String.format("; program build %.2f s (first call, once per JVM), backend created in %.2f s, first full step %.2f s"
                            + " vs %.2f s steady", o.programBuildSeconds(), created, first[0], s.get(rows.get(5).name));
                }
                notes.put(name, note);
            }
            seconds.put(name, s);
        }

        System.out.printf("%n%s, batch %d x %d tokens; median of %d rounds of >= %.1f s after %.1f s of warm-up; higher is better%n%n",
                config, batch, seq, runs, ROUND_SECONDS, warmupSeconds);
        StringBuilder header = new StringBuilder("| kernel or step | unit |");
        StringBuilder rule = new StringBuilder("|---|---|");
        for (String b : backends) { header.append(' ').append(b).append(" |"); rule.append("---:|"); }
        boolean ratios = backends.contains("opencl") && backends.contains("simd");
        if (ratios) { header.append(" opencl / simd |"); rule.append("---:|"); }
        System.out.println(header);
        System.out.println(rule);
        List<RunRecord> jsonRows = new ArrayList<>();
        for (Row r : rows) {
            StringBuilder line = new StringBuilder("| " + r.name + " | " + r.unit + " |");
            RunRecord jr = new RunRecord().put("row", r.name).put("unit", r.unit);
            for (String b : backends) {
                double f = r.figure(seconds.get(b).get(r.name));
                line.append(String.format(" %.3g |", f));
                jr.put(b, f);
            }
            if (ratios) {
                double q = seconds.get("simd").get(r.name) / seconds.get("opencl").get(r.name);
                line.append(String.format(" %.3f |", q));
                jr.put("opencl_over_simd", q);
            }
            System.out.println(line);
            jsonRows.add(jr);
        }
        System.out.println();
        notes.forEach((b, n) -> System.out.println("- " + b + ": " + n));
        System.out.printf("- full step model FLOPs: 6 x %d parameters x %d tokens = %.1f GFLOP%n", parameterCount(cfg), tokens, stepFlops / 1e9);
        if (profile && backends.contains("opencl")) profileOpenCl(cfg);
        if (json) {
            System.out.println(new RunRecord().put("benchmark", "backends").put("config", config).put("batch", batch).put("seq", seq)
                    .put("size", size).put("ratio", ratio).put("runs", runs).put("seed", seed).put("backends", backends)
                    .put("rows", jsonRows).put("notes", notes).withEnvironment().toJson());
        }
        return 0;
    }

    /** Device time of every opencl kernel in steady-state full steps, from OpenCL's event timestamps. */
    private void profileOpenCl(LlamaConfig cfg) {
        try (OpenClBackend be = new OpenClBackend(io.piece4j.backend.opencl.OpenClDevices.selected(), null, true)) {
            LlamaModel m = new LlamaModel(cfg, be);
            m.initRandom(seed, 0.02f);
            TokenBatch data = TrainBench.randomBatch(new Rng(seed), cfg.vocabSize(), batch, seq);
            m.parameters().setGrad(m.enableGradients());
            AdamW opt = new AdamW(List.of(m.parameters()), new AdamW.Settings(1e-5f, 0.9f, 0.95f, 1e-8f, 0f));
            Runnable step = TrainBench.inArena(new ActivationArena(be), () -> TrainBench.fullStep(m, data, opt));
            step.run();
            Map<String, long[]> before = copy(be.kernelTimes());
            int steps = Math.max(1, runs);
            for (int i = 0; i < steps; i++) step.run();
            Map<String, long[]> after = be.kernelTimes();
            double total = 0;
            List<Object[]> rowsByTime = new ArrayList<>();
            for (var e : after.entrySet()) {
                long[] b = before.getOrDefault(e.getKey(), new long[2]);
                double ms = (e.getValue()[1] - b[1]) / 1e6 / steps;
                rowsByTime.add(new Object[] {e.getKey(), (e.getValue()[0] - b[0]) / (double) steps, ms});
                total += ms;
            }
            rowsByTime.sort((x, y) -> Double.compare((double) y[2], (double) x[2]));
            System.out.printf("%nopencl device time per full step (%d steps, OpenCL events): %.1f ms%n%n", steps, total);
            System.out.println("| kernel | launches per step | ms per step | share |");
            System.out.println("|---|---:|---:|---:|");
            for (Object[] r : rowsByTime) System.out.printf("| %s | %.0f | %.2f | %.1f %% |%n", r[0], r[1], r[2], 100 * (double) r[2] / total);
        }
    }

    private static Map<String, long[]> copy(Map<String, long[]> times) {
        Map<String, long[]> c = new LinkedHashMap<>();
        times.forEach((k, v) -> c.put(k, v.clone()));
        return c;
    }

    private static long parameterCount(LlamaConfig cfg) {
        return new io.piece4j.nn.model.ParameterLayout(cfg).size();
    }

    private enum Kernel { MATMUL, LINEAR, ATTENTION, RMSNORM, CROSS_ENTROPY }

    /** Median seconds of one kernel call (finished: one element read back). */
    private double kernelSeconds(Backend be, Kernel kind, LlamaConfig cfg) {
        Rng rng = new Rng(seed);
        int tokens = batch * seq;
        float[] one = new float[1];
        Runnable call;
        Tensor sink;
        switch (kind) {
            case MATMUL -> {
                Tensor a = Tensor.randn(be, rng, 1f, size, size), b = Tensor.randn(be, rng, 1f, size, size), c = Tensor.zeros(be, size, size);
                call = () -> be.matmul(a, false, b, false, c, 1, size, size, size, 0, false);
                sink = c;
            }
            case LINEAR -> {
                Tensor x = Tensor.randn(be, rng, 1f, tokens, cfg.dim()), w = Tensor.randn(be, rng, 0.05f, cfg.hiddenDim(), cfg.dim());
                Tensor y = Tensor.zeros(be, tokens, cfg.hiddenDim());
                call = () -> be.matmul(x, false, w, true, y, 1, tokens, cfg.hiddenDim(), cfg.dim(), 0, false);
                sink = y;
            }
            case ATTENTION -> {
                int h = cfg.heads(), kv = cfg.kvHeads(), hd = cfg.headDim();
                Tensor q = Tensor.randn(be, rng, 1f, batch, seq, h, hd), k = Tensor.randn(be, rng, 1f, batch, seq, kv, hd);
                Tensor v = Tensor.randn(be, rng, 1f, batch, seq, kv, hd), out = Tensor.zeros(be, batch, seq, h, hd);
                Tensor probs = Tensor.zeros(be, batch, h, seq, seq);
                call = () -> be.attention(q, k, v, out, probs, batch, seq, seq, seq, h, kv, hd);
                sink = out;
            }
            case RMSNORM -> {
                Tensor x = Tensor.randn(be, rng, 1f, tokens, cfg.dim()), w = Tensor.ones(be, cfg.dim());
                Tensor y = Tensor.zeros(be, tokens, cfg.dim()), rstd = Tensor.zeros(be, tokens);
                call = () -> be.rmsnorm(x, w, y, rstd, tokens, cfg.dim(), 1e-5f);
                sink = y;
            }
            default -> {
                Tensor logits = Tensor.randn(be, rng, 2f, tokens, cfg.vocabSize()), probs = Tensor.zeros(be, tokens, cfg.vocabSize());
                int[] targets = new int[tokens];
                for (int i = 0; i < tokens; i++) targets[i] = rng.nextInt(cfg.vocabSize());
                call = () -> be.crossEntropy(logits, targets, probs, tokens, cfg.vocabSize());
                sink = probs;
            }
        }
        return median(() -> {
            call.run();
            be.read(sink.storage(), sink.offset(), one, 0, 1);
        }, null);
    }

    /** Median seconds of one training step of the given mode; first[0], if given, receives the warm-up step's seconds. */
    private double stepSeconds(Backend be, LlamaConfig cfg, String mode, double[] first) {
        return median(trainingStep(be, cfg, mode, true), first);
    }

    /**
     * One training step of the given mode (full, masked or importance) on a fresh seeded model, ready to repeat. With
     * inArena (as timed here, in {@code bench train} and in training itself) its activations come from an arena that
     * the next step reuses; without one, a stories15M step at 8 x 256 allocated 2 GB of activations and spent 72 % of
     * its time in GC on simd, and this table once reported that as the step's speed.
     */
    Runnable trainingStep(Backend be, LlamaConfig cfg, String mode, boolean inArena) {
        LlamaModel m = new LlamaModel(cfg, be);
        m.initRandom(seed, 0.02f);
        Rng rng = new Rng(seed);
        TokenBatch data = TrainBench.randomBatch(rng, cfg.vocabSize(), batch, seq);
        int[] tokens = data.tokens(), targets = data.targets();
        Tensor grads = m.enableGradients();
        Runnable step;
        switch (mode) {
            case "full" -> {
                m.parameters().setGrad(grads);
                AdamW opt = new AdamW(List.of(m.parameters()), new AdamW.Settings(1e-5f, 0.9f, 0.95f, 1e-8f, 0f));
                step = () -> TrainBench.fullStep(m, data, opt);
            }
            case "masked" -> {
                Mask mask = ImportanceEstimation.run(m, List.of(data), Estimator.PIECE_S, ratio, "bench", batch).mask();
                m.setTrainableIndices(mask.indices());
                MaskedAdamW opt = new MaskedAdamW(m.parameters(), grads, mask, MaskedAdamW.Settings.piece());
                step = () -> {
                    grads.zero();
                    m.loss(tokens, targets, batch, seq).backward();
                    opt.step(1e-5f);
                    TrainBench.finish(m.parameters());
                };
            }
            default -> {
                ImportanceAccumulator acc = new ImportanceAccumulator(be, m.layout().size());
                m.setTrainableIndices(null);
                m.freezeEmbeddings();
                step = () -> {
                    grads.zero();
                    m.loss(tokens, targets, batch, seq).backward();
                    acc.add(grads);
                    TrainBench.finish(acc.h());
                };
            }
        }
        return inArena ? TrainBench.inArena(new ActivationArena(be), step) : step;
    }

    /**
     * Median over `runs` timed rounds of the seconds per call, after warming up (calls for at least warmupSeconds,
     * at least one, so the JIT has compiled a Java backend's kernels); the first call's seconds go to first[0]
     * when asked. A round repeats the call for at least ROUND_SECONDS (at least once), so a short kernel is
     * timed over many calls and one descheduling on a shared machine does not decide its figure.
     */
    private double median(Runnable r, double[] first) {
        long t0 = System.nanoTime();
        r.run();
        if (first != null) first[0] = (System.nanoTime() - t0) / 1e9;
        while (System.nanoTime() - t0 < warmupSeconds * 1e9) r.run();
        double[] t = new double[Math.max(1, runs)];
        for (int i = 0; i < t.length; i++) {
            long s = System.nanoTime();
            int calls = 0;
            do {
                r.run();
                calls++;
            } while (System.nanoTime() - s < ROUND_SECONDS * 1e9);
            t[i] = (System.nanoTime() - s) / 1e9 / calls;
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }
}
