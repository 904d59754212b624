package io.piece4j.piece.continual;

import io.piece4j.piece.GitCommit;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskFile;
import io.piece4j.piece.continual.metrics.TransferMetrics;
import io.piece4j.tensor.spi.Backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a continual output folder holds, aggregated per method variant over its seeds: the result
 * matrix R (rows: after task t; columns: task i), OP, BWT (standard and the original code's 1/T form), FWT,
 * the probes along the sequence, answer losses, trainable fraction, time, and mask analyses. Built from
 * the folder's files alone, so it can be rebuilt at any time (also from a run still going: unfinished
 * rows are null and the transfer metrics of an unfinished seed are left out).
 */
public final class ContinualResults {
    /** One variant over its seeds. */
    public record MethodResult(String name, String method, String description, double ratio, float lr, boolean seesOldData,
                               long addedParameters, List<RunState> runs, int finishedTasks,
                               double[][] r, double[][] rStd, double[][] answerLoss,
                               double op, double opStd, double bwt, double bwtStd, double bwtOriginal, double fwt, double fwtStd,
                               Map<String, double[]> probe, Map<String, double[]> probeStd, double trainableFraction,
                               double seconds, double[][] maskJaccard, List<Map<String, Long>> maskPerTensor) {
        public boolean complete(int taskCount) { return finishedTasks == taskCount; }
    }

    private final Path out;
    private final Map<String, Object> config;
    private final RunState.Base base;
    private final List<String> tasks;
    private final List<String> metrics;
    private final List<String> probeNames;
    private final Map<String, MethodResult> methods;

    private ContinualResults(Path out, Map<String, Object> config, RunState.Base base, List<String> tasks, List<String> metrics,
                             List<String> probeNames, Map<String, MethodResult> methods) {
        this.out = out;
        this.config = config;
        this.base = base;
        this.tasks = tasks;
        this.metrics = metrics;
        this.probeNames = probeNames;
        this.methods = methods;
    }

    public Path folder() { return out; }
    public Map<String, Object> config() { return config; }
    public RunState.Base base() { return base; }
    public List<String> tasks() { return tasks; }
    /** Each task's metric name, in task order. */
    public List<String> metrics() { return metrics; }
    public List<String> probeNames() { return probeNames; }
    public Map<String, MethodResult> methods() { return methods; }

    /** The probe that stands for general ability in tables: the suite's if it has one, else the first. */
    public String primaryProbe() { return probeNames.isEmpty() ? null : probeNames.getFirst(); }

    /** Reads config.json, base.json and every run's state.json under out. */
    @SuppressWarnings("unchecked")
    public static ContinualResults collect(Path out) throws IOException {
        Map<String, Object> config = JsonFiles.read(out.resolve("config.json"), Map.class);
        RunState.Base base = JsonFiles.read(out.resolve("base.json"), RunState.Base.class);
        List<String> tasks = (List<String>) config.get("tasks");
        List<String> variants = (List<String>) config.get("variants");
        List<Number> seeds = (List<Number>) config.get("seeds");
        List<String> probeNames = new ArrayList<>(base.probes().keySet());
        Map<String, MethodResult> methods = new LinkedHashMap<>();
        for (String v : variants) {
            List<RunState> runs = new ArrayList<>();
            for (Number s : seeds) {
                Path state = out.resolve("runs").resolve(v).resolve("seed-" + s.longValue()).resolve("state.json");
                if (Files.exists(state)) runs.add(JsonFiles.read(state, RunState.class));
            }
            if (!runs.isEmpty()) methods.put(v, aggregate(out, v, runs, tasks.size(), base, probeNames));
        }
        List<String> metrics = (List<String>) config.getOrDefault("task_metrics", List.of());
        return new ContinualResults(out, config, base, tasks, metrics, probeNames, methods);
    }

    private static MethodResult aggregate(Path out, String variant, List<RunState> runs, int n, RunState.Base base, List<String> probeNames)
            throws IOException {
        RunState first = runs.getFirst();
        int finished = runs.stream().mapToInt(r -> r.tasks().size()).min().orElse(0);
        List<double[][]> rs = new ArrayList<>(), losses = new ArrayList<>();
        for (RunState run : runs) {
            double[][] r = nanMatrix(n), l = nanMatrix(n);
            for (int t = 0; t < run.tasks().size(); t++) {
                r[t] = run.tasks().get(t).scores().clone();
                l[t] = run.tasks().get(t).answerLoss().clone();
            }
            rs.add(r);
            losses.add(l);
        }
        // transfer metrics per finished seed, then their mean and spread
        List<Double> ops = new ArrayList<>(), bwts = new ArrayList<>(), bwtOs = new ArrayList<>(), fwts = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            if (runs.get(i).tasks().size() < n) continue;
            ops.add(TransferMetrics.op(rs.get(i)));
            bwts.add(TransferMetrics.bwt(rs.get(i)));
            bwtOs.add(TransferMetrics.bwtOriginal(rs.get(i)));
            fwts.add(TransferMetrics.fwt(rs.get(i), base.scores()));
        }
        Map<String, double[]> probe = new LinkedHashMap<>(), probeStd = new LinkedHashMap<>();
        for (String p : probeNames) {
            List<double[]> curves = new ArrayList<>();
            for (RunState run : runs) {
                double[] c = new double[n + 1];
                Arrays.fill(c, Double.NaN);
                c[0] = base.probes().get(p).primary();
                for (int t = 0; t < run.tasks().size(); t++) c[t + 1] = run.tasks().get(t).probes().get(p).primary();
                curves.add(c);
            }
            probe.put(p, TransferMetrics.meanOverSeeds(curves.toArray(double[][]::new)));
            probeStd.put(p, TransferMetrics.stdOverSeeds(curves.toArray(double[][]::new)));
        }
        double trainable = 0, seconds = 0;
        int counted = 0;
        for (RunState run : runs) {
            for (RunState.TaskOutcome o : run.tasks()) { trainable += (double) o.trainedCoordinates() / o.parameterCount(); counted++; }
            for (RunState.TaskOutcome o : run.tasks()) seconds += o.prepareSeconds() + o.trainSeconds() + o.evalSeconds();
        }
        return new MethodResult(variant, first.method(), first.description(), first.ratio(), first.lr(), first.seesOldData(),
                first.addedParameters(), List.copyOf(runs), finished,
                TransferMetrics.meanOverSeeds(rs.toArray(double[][][]::new)), TransferMetrics.stdOverSeeds(rs.toArray(double[][][]::new)),
                TransferMetrics.meanOverSeeds(losses.toArray(double[][][]::new)),
                mean(ops), std(ops), mean(bwts), std(bwts), mean(bwtOs), mean(fwts), std(fwts), probe, probeStd,
                counted == 0 ? Double.NaN : trainable / counted, seconds / runs.size(),
                jaccard(out, variant, runs, n), first.tasks().stream().map(RunState.TaskOutcome::maskPerTensor).toList());
    }

    /** Mean over seeds of the Jaccard overlap of task i's and task j's masks; null when the method has no masks. */
    private static double[][] jaccard(Path out, String variant, List<RunState> runs, int n) throws IOException {
        double[][] sum = null;
        int count = 0;
        for (RunState run : runs) {
            Path dir = out.resolve("runs").resolve(variant).resolve("seed-" + run.seed());
            int done = run.tasks().size();
            Mask[] masks = new Mask[done];
            for (int t = 0; t < done; t++) {
                Path f = dir.resolve("mask-" + (t + 1) + ".mask");
                if (!Files.exists(f)) return null;
                masks[t] = MaskFile.read(f);
            }
            if (sum == null) sum = nanMatrix(n);
            for (int i = 0; i < done; i++) {
                for (int j = 0; j < done; j++) {
                    double v = Mask.jaccard(masks[i], masks[j]);
                    sum[i][j] = Double.isNaN(sum[i][j]) ? v : sum[i][j] + v;
                }
            }
            count++;
        }
        if (sum == null) return null;
        for (double[] row : sum) for (int j = 0; j < row.length; j++) row[j] /= count;
        return sum;
    }

    private static double[][] nanMatrix(int n) {
        double[][] m = new double[n][n];
        for (double[] row : m) Arrays.fill(row, Double.NaN);
        return m;
    }

    private static double mean(List<Double> xs) {
        return xs.isEmpty() ? Double.NaN : xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static double std(List<Double> xs) {
        if (xs.size() < 2) return xs.isEmpty() ? Double.NaN : 0;
        double m = mean(xs), s = 0;
        for (double x : xs) s += (x - m) * (x - m);
        return Math.sqrt(s / (xs.size() - 1));
    }

    // ---------------------------------------------------------------- results.json

    /** The facts needed to reproduce a result: git commit, JDK, OS, backend, threads. */
    public static Map<String, Object> environment(Backend backend) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("git", GitCommit.current());
        e.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        e.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        e.put("cpus", Runtime.getRuntime().availableProcessors());
        e.put("backend", backend.name());
        e.put("backend_description", backend.description());
        e.put("threads", backend.threads());
        return e;
    }

    public void writeJson(Path path) throws IOException {
        JsonFiles.write(path, toJson());
    }

    /** results.json: {"suite", "tasks", "metrics", "methods": {NAME: {...}}, "config", "environment"}. */
    public Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("suite", config.get("suite"));
        root.put("tasks", tasks);
        root.put("metrics", metrics);
        root.put("probes", probeNames);
        root.put("primary_probe", primaryProbe());
        root.put("base", Map.of("scores", clean(base.scores()), "answer_loss", clean(base.answerLoss()), "probes", base.probes()));
        Map<String, Object> ms = new LinkedHashMap<>();
        for (MethodResult m : methods.values()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("method", m.method());
            j.put("description", m.description());
            j.put("seeds", m.runs().stream().map(RunState::seed).toList());
            j.put("ratio", m.ratio());
            j.put("lr", m.lr());
            j.put("complete", m.complete(tasks.size()));
            j.put("finished_tasks", m.finishedTasks());
            j.put("R", clean(m.r()));
            j.put("R_std", clean(m.rStd()));
            j.put("base_scores", clean(base.scores()));
            j.put("OP", clean(m.op()));
            j.put("OP_std", clean(m.opStd()));
            j.put("BWT", clean(m.bwt()));
            j.put("BWT_std", clean(m.bwtStd()));
            j.put("BWT_original", clean(m.bwtOriginal()));
            j.put("FWT", clean(m.fwt()));
            j.put("FWT_std", clean(m.fwtStd()));
            String primary = primaryProbe();
            j.put("probe", primary == null ? List.of() : clean(m.probe().get(primary)));
            j.put("probe_std", primary == null ? List.of() : clean(m.probeStd().get(primary)));
            Map<String, Object> allProbes = new LinkedHashMap<>();
            m.probe().forEach((k, v) -> allProbes.put(k, clean(v)));
            j.put("probes", allProbes);
            j.put("answer_loss", clean(m.answerLoss()));
            j.put("trainable_fraction", clean(m.trainableFraction()));
            j.put("sees_old_data", m.seesOldData());
            j.put("added_parameters", m.addedParameters());
            j.put("seconds", clean(m.seconds()));
            j.put("mask_jaccard", m.maskJaccard() == null ? null : clean(m.maskJaccard()));
            List<Object> perSeed = new ArrayList<>();
            for (RunState run : m.runs()) perSeed.add(perSeed(run));
            j.put("per_seed", perSeed);
            ms.put(m.name(), j);
        }
        root.put("methods", ms);
        Map<String, Object> cfg = new LinkedHashMap<>(config);
        Object env = cfg.remove("environment");
        root.put("config", cfg);
        root.put("environment", env);
        return root;
    }

    private Map<String, Object> perSeed(RunState run) {
        int n = tasks.size();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("seed", run.seed());
        double[][] r = nanMatrix(n), loss = nanMatrix(n);
        List<Object> probes = new ArrayList<>();
        List<Object> trainLosses = new ArrayList<>();
        List<Object> trained = new ArrayList<>(), changed = new ArrayList<>(), seconds = new ArrayList<>();
        for (int t = 0; t < run.tasks().size(); t++) {
            RunState.TaskOutcome o = run.tasks().get(t);
            r[t] = o.scores();
            loss[t] = o.answerLoss();
            probes.add(o.probes());
            trainLosses.add(o.trainLosses());
            trained.add(o.trainedCoordinates());
            changed.add(o.changedParameters());
            seconds.add(Map.of("prepare", o.prepareSeconds(), "train", o.trainSeconds(), "evaluate", o.evalSeconds()));
        }
        j.put("R", clean(r));
        boolean done = run.tasks().size() == n;
        j.put("OP", done ? clean(TransferMetrics.op(r)) : null);
        j.put("BWT", done ? clean(TransferMetrics.bwt(r)) : null);
        j.put("BWT_original", done ? clean(TransferMetrics.bwtOriginal(r)) : null);
        j.put("FWT", done ? clean(TransferMetrics.fwt(r, base.scores())) : null);
        j.put("answer_loss", clean(loss));
        j.put("probes", probes);
        j.put("trained_coordinates", trained);
        j.put("changed_parameters", changed);
        j.put("train_losses", trainLosses);
        j.put("seconds", seconds);
        return j;
    }

    /** NaN and infinities become null: JSON has no such numbers. */
    static Object clean(double v) { return Double.isFinite(v) ? v : null; }

    static List<Object> clean(double[] v) {
        if (v == null) return null;
        List<Object> out = new ArrayList<>(v.length);
        for (double x : v) out.add(clean(x));
        return out;
    }

    static List<Object> clean(double[][] m) {
        if (m == null) return null;
        List<Object> out = new ArrayList<>(m.length);
        for (double[] row : m) out.add(clean(row));
        return out;
    }

}
