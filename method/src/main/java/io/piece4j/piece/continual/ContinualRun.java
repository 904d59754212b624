package io.piece4j.piece.continual;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskFile;
import io.piece4j.piece.MaskReport;
import io.piece4j.piece.ModelFingerprint;
import io.piece4j.piece.continual.methods.MethodCatalog;
import io.piece4j.piece.continual.methods.MethodOptions;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.data.TaskRecord;
import io.piece4j.piece.data.TruncationSettings;
import io.piece4j.piece.train.TrainingCheckpoint;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The continual-learning sequence: for every method variant and seed, task after task, the method's
 * preparation (PIECE: importance on the current model, then the global top-k), training through the one
 * {@link Trainer}, then evaluation of every task of the suite (seen or not) and of the probes. Results are
 * written after every task; a run killed at any point continues with {@code resume} from the last
 * finished task, and inside a task from the trainer's checkpoint, to the same numbers.
 *
 * <p>Output folder: {@code config.json} (what defines the run; a resume must match it), {@code base.json}
 * (the base model's scores), {@code runs/VARIANT/seed-S/} (state.json, the model after the last finished
 * task, masks), and {@code results.json}, {@code report.md} and charts (see {@link ContinualReport}).
 *
 * <p>Usable from any program: build a {@link Spec}, then {@code new ContinualRun(spec, backend).run()}.
 */
public final class ContinualRun {
    /** One method at one ratio (and one learning rate in a sweep): a column of the report. */
    public record Variant(String name, String method, double ratio, Float lr) {}

    /**
     * @param baseModel      the base model file (any supported format), reloaded for every run
     * @param tokenizer      the tokenizer of the model and suite
     * @param suite          the tasks in order, read and checked
     * @param methods        method names (see MethodCatalog; "all" expands)
     * @param seeds          one run per seed per variant
     * @param ratios         mask ratios for the methods that use one (each ratio is a variant)
     * @param lrSweep        learning rates to run every method at (each one a variant); empty = each method's own from settings
     * @param settings       training and probe settings
     * @param methodSettings method-specific settings ("lambda" -> "400")
     * @param extraProbes    probes besides the suite's and the base-agreement probe (e.g. --probe FILE)
     * @param out            output folder
     * @param resume         continue the run the folder holds
     * @param keepTaskModels keep the model after every task (runs/.../model-after-T.ckpt), not only the last
     */
    public record Spec(Path baseModel, Tokenizer tokenizer, Suite suite, List<String> methods, List<Long> seeds,
                       List<Double> ratios, List<Float> lrSweep, ContinualSettings settings, Map<String, String> methodSettings,
                       List<Probe> extraProbes, Path out, boolean resume, boolean keepTaskModels) {
        public Spec {
            methods = MethodCatalog.expand(methods);
            seeds = List.copyOf(seeds);
            ratios = List.copyOf(ratios);
            lrSweep = List.copyOf(lrSweep);
            for (float lr : lrSweep) {
                if (!(lr > 0) || !Float.isFinite(lr)) throw new IllegalArgumentException("--lr-sweep " + lr + ": expected finite learning rates > 0");
            }
            if (lrSweep.stream().distinct().count() != lrSweep.size()) throw new IllegalArgumentException("--lr-sweep " + lrSweep + " repeats a value");
            methodSettings = Map.copyOf(methodSettings);
            extraProbes = List.copyOf(extraProbes);
            if (seeds.isEmpty()) throw new IllegalArgumentException("--seeds is empty: expected at least one seed");
            if (seeds.stream().distinct().count() != seeds.size()) throw new IllegalArgumentException("--seeds " + seeds + " repeats a seed");
            if (ratios.isEmpty()) throw new IllegalArgumentException("--ratios is empty: expected at least one ratio in (0, 1]");
            for (double r : ratios) Mask.budget(r, 1);
            if (ratios.stream().distinct().count() != ratios.size()) throw new IllegalArgumentException("--ratios " + ratios + " repeats a ratio");
        }
    }

    /** One run of the invocation (a variant with one seed) and the folder runOne fills for it. */
    public record RunKey(Variant variant, long seed, Path dir) {}

    /**
     * Carries out an invocation's runs somewhere other than this JVM (a Spark cluster: the distributed module)
     * and leaves each run's files in its {@link RunKey#dir()} as the local loop would; results.json and the
     * report are then built from the folder as usual.
     */
    @FunctionalInterface
    public interface RunExecutor {
        void execute(List<RunKey> runs) throws IOException;
    }

    /** Where the whole invocation stands, for a progress bar. */
    public record Progress(String run, int runIndex, int runCount, int task, int taskCount, String taskName, String phase,
                           long done, long total, double fractionDone, double etaSeconds) {}

    @FunctionalInterface
    public interface Listener {
        void update(Progress p);
    }

    private static final String[] PHASES = {"prepare", "train", "evaluate"};
    private static final double[] PHASE_WEIGHT = {0.15, 0.65, 0.20};

    private final Spec spec;
    private final Backend backend;
    private final List<Variant> variants;
    private String owner;                  // fence token of this attempt (ownedBy), null = none
    private Listener listener = p -> {};
    private RunExecutor runExecutor; // null: the runs go one after another in this JVM
    // progress bookkeeping
    private long startNanos;
    private double unitsAtStart;
    private int unitsDone;

    public ContinualRun(Spec spec, Backend backend) {
        this.spec = spec;
        this.backend = backend;
        this.variants = variants(spec.methods(), spec.ratios(), spec.lrSweep());
        // every method is made once here, so a bad setting fails before anything is read or written
        for (Variant v : variants) method(v, spec.seeds().getFirst());
    }

    public ContinualRun onProgress(Listener l) { this.listener = l; return this; }

    /**
     * Fences the run folders {@link #runOne} writes with this attempt's token: the folder's owner file names the
     * latest attempt, and an attempt that finds another's token there stops at its next step or write. A cluster
     * that retries a run on another executor while the first one still runs (its worker died, the executor not yet)
     * then keeps one writer per folder.
     */
    public ContinualRun ownedBy(String attemptToken) { this.owner = attemptToken; return this; }

    /** The file in a run folder naming the attempt that owns it. */
    public static final String OWNER_FILE = "owner";

    /** Thrown in an attempt whose run folder another attempt has claimed since. */
    public static final class SupersededException extends IllegalStateException {
        SupersededException(String message) { super(message); }
    }

    private void claim(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, OWNER_FILE, ".tmp");
        Files.writeString(tmp, owner);
        Files.move(tmp, dir.resolve(OWNER_FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Throws unless this runner has no fence or still owns dir. */
    private void checkOwner(Path dir) {
        if (owner == null) return;
        String now;
        try {
            now = Files.readString(dir.resolve(OWNER_FILE)).strip();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (!now.equals(owner)) throw new SupersededException(dir + " belongs to attempt '" + now + "' now, not to '" + owner + "': this attempt stops");
    }

    /** Hands the runs to an executor (a cluster) instead of running them here; base.json, results and report stay here. */
    public ContinualRun executeRunsWith(RunExecutor e) { this.runExecutor = e; return this; }

    public List<Variant> variants() { return variants; }

    /** method x ratio (for the methods with one) x learning rate (when sweeping); names carry what varies. */
    static List<Variant> variants(List<String> methods, List<Double> ratios, List<Float> lrSweep) {
        List<Variant> out = new ArrayList<>();
        List<Float> lrs = lrSweep.isEmpty() ? java.util.Collections.singletonList(null) : lrSweep;
        for (String entry : methods) {
            String m = MethodCatalog.methodOf(entry);
            Double own = MethodCatalog.ownRatio(entry);
            List<Double> rs = own != null ? List.of(own) : MethodCatalog.get(m).usesRatio() ? ratios : List.of(0.0);
            for (double r : rs) {
                for (Float lr : lrs) {
                    String name = (own != null ? entry : m + (rs.size() > 1 ? "@" + r : "")) + (lrs.size() > 1 ? "@lr" + lrName(lr) : "");
                    out.add(new Variant(name, m, r, lr));
                }
            }
        }
        return out;
    }

    /** 1e-4, 3e-5, 2.5e-3: short, exact enough for names. */
    static String lrName(float lr) {
        String s = String.format(java.util.Locale.ROOT, "%.1e", lr).replace(".0e", "e").replace("e-0", "e-").replace("e+0", "e");
        return s;
    }

    private ContinualMethod method(Variant v, long seed) {
        return MethodCatalog.get(v.method()).factory().create(new MethodOptions(v.ratio(), seed, spec.methodSettings()), spec.settings());
    }

    /** Runs (or resumes) everything, then writes results.json, report.md and the charts. */
    public ContinualResults run() throws IOException {
        // everything that can be wrong with the inputs fails here, before the output folder is touched
        LlamaModel base = ModelFiles.load(spec.baseModel(), backend);
        checkTokenizer(base);
        List<Probe> probes = probes(base);
        Map<String, Object> config = config(base, probes);
        prepareOutput(config);

        startNanos = System.nanoTime();
        int tasks = spec.suite().tasks().size();
        unitsAtStart = 0;
        for (Variant v : variants) for (long seed : spec.seeds()) {
            Path state = runDir(v, seed).resolve("state.json");
            if (Files.exists(state)) unitsAtStart += JsonFiles.read(state, RunState.class).tasks().size();
        }
        unitsDone = (int) unitsAtStart;

        Path basePath = spec.out().resolve("base.json");
        RunState.Base baseScores;
        if (Files.exists(basePath)) baseScores = JsonFiles.read(basePath, RunState.Base.class);
        else {
            report("base", 0, "base", 0, tasks, "evaluate", 0, tasks);
            long t0 = System.nanoTime();
            Evaluated e = evaluate(base, probes, (done, total) -> report("base", 0, "base", 0, tasks, "evaluate", done, total));
            baseScores = new RunState.Base(e.scores, e.losses, e.probes, e.samples, seconds(t0));
            JsonFiles.write(basePath, baseScores);
        }
        if (runExecutor != null) {
            List<RunKey> keys = new ArrayList<>();
            for (Variant v : variants) for (long seed : spec.seeds()) keys.add(new RunKey(v, seed, runDir(v, seed)));
            runExecutor.execute(keys);
        } else {
            int runIndex = 0;
            for (Variant v : variants) {
                for (long seed : spec.seeds()) {
                    runOne(v, seed, runIndex++, probes);
                    ContinualResults.collect(spec.out()).writeJson(spec.out().resolve("results.json"));
                }
            }
        }
        ContinualResults results = ContinualResults.collect(spec.out());
        results.writeJson(spec.out().resolve("results.json"));
        new ContinualReport(results, spec.out()).write();
        return results;
    }

    // ---------------------------------------------------------------- one run

    /**
     * Runs (or resumes) one variant with one seed into its folder under the spec's output folder, and nothing
     * else (no config.json, base.json, results or report): the unit of work a cluster executes. The numbers
     * are those {@link #run()} writes for the same run.
     */
    public RunState runOne(Variant v, long seed) throws IOException {
        if (!variants.contains(v)) throw new IllegalArgumentException("variant " + v + " is not one of this spec's " + variants);
        LlamaModel base = ModelFiles.load(spec.baseModel(), backend);
        checkTokenizer(base);
        startNanos = System.nanoTime();
        if (owner != null) claim(runDir(v, seed));
        runOne(v, seed, 0, probes(base));
        return JsonFiles.read(runDir(v, seed).resolve("state.json"), RunState.class);
    }

    private void runOne(Variant v, long seed, int runIndex, List<Probe> probes) throws IOException {
        Path dir = runDir(v, seed);
        Path statePath = dir.resolve("state.json");
        int taskCount = spec.suite().tasks().size();
        ContinualMethod method = method(v, seed);
        float lr = v.lr() != null ? v.lr() : spec.settings().lrFor(v.name(), v.method());
        RunState state = Files.exists(statePath) ? JsonFiles.read(statePath, RunState.class)
                : new RunState(v.name(), v.method(), v.ratio(), seed, lr, method.describe(), method.seesOldData(), method.addedParameters(), List.of());
        int first = state.tasks().size();
        if (first == taskCount) return;
        String runName = v.name() + " seed " + seed;

        LlamaModel model = ModelFiles.load(spec.baseModel(), backend);
        if (first > 0) {
            model.parameters().copyFrom(TrainingCheckpoint.read(dir.resolve(modelFile(first))).params());
            method.loadState(dir.resolve(methodDir(first)), context(model, first, method, lr, seed, dir));
        }
        for (int t = first; t < taskCount; t++) {
            SuiteTask task = spec.suite().tasks().get(t);
            final int ti = t;
            TaskContext ctx = context(model, t, method, lr, seed, dir);

            report(runName, runIndex, task.name(), t, taskCount, "prepare", 0, 1);
            long t0 = System.nanoTime();
            TrainPlan plan = method.prepare(ctx);
            double prepareSeconds = seconds(t0);
            float[] before = model.layout().size() <= SNAPSHOT_LIMIT ? model.parameters().toArray() : null;

            t0 = System.nanoTime();
            Trainer trainer = new Trainer(model, plan.trainable(), spec.settings().training(lr, seed),
                    plan.data() != null ? plan.data() : ctx.shuffledEpochs(ctx.train()), task.name(), dir.resolve("task-" + t + ".ckpt"))
                    .withHooks(plan.hooks())
                    .onProgress((step, total, loss, rate, tokens, secs) -> {
                        checkOwner(dir);
                        report(runName, runIndex, task.name(), ti, taskCount, "train", step, total);
                    });
            Trainer.Result trained = trainer.run(true);
            double trainSeconds = seconds(t0);
            method.afterTask(ctx);
            long changed = before == null ? -1 : changedCount(before, model.parameters());

            t0 = System.nanoTime();
            Evaluated e = evaluate(model, probes, (done, total) -> report(runName, runIndex, task.name(), ti, taskCount, "evaluate", done, total));
            double evalSeconds = seconds(t0);

            Map<String, Long> perTensor = new LinkedHashMap<>();
            if (plan.mask() != null) {
                new MaskReport(plan.mask(), model.layout()).perTensor().forEach((k, c) -> perTensor.put(k, c.selected()));
                MaskFile.write(plan.mask(), dir.resolve("mask-" + (t + 1) + ".mask"));
            }
            RunState.TaskOutcome outcome = new RunState.TaskOutcome(task.name(), e.scores, e.losses, e.probes, trained.losses(),
                    trained.steps(), plan.trainable().trainedCount(), model.layout().size(), perTensor, changed,
                    prepareSeconds, trainSeconds, evalSeconds, e.samples);

            // the model and method state of t + 1 finished tasks are written under names of their own before
            // state.json says t + 1 tasks are done: a crash between the writes leaves a consistent older state
            checkOwner(dir);
            writeModel(model, dir.resolve(modelFile(t + 1)), task.name(), t + 1);
            Path mdir = dir.resolve(methodDir(t + 1));
            Files.createDirectories(mdir);
            method.saveState(mdir);
            state = state.with(outcome).withAddedParameters(method.addedParameters());
            checkOwner(dir);
            JsonFiles.write(statePath, state);
            Files.deleteIfExists(dir.resolve("task-" + t + ".ckpt"));
            if (!spec.keepTaskModels()) Files.deleteIfExists(dir.resolve(modelFile(t)));
            deleteTree(dir.resolve(methodDir(t)));
            unitsDone++;
        }
    }

    /** Models up to this size are copied before each task to count the parameters it changed. */
    private static final long SNAPSHOT_LIMIT = 64L << 20;

    private TaskContext context(LlamaModel model, int t, ContinualMethod method, float lr, long seed, Path dir) {
        SuiteTask task = spec.suite().tasks().get(t);
        TruncationSettings limits = new TruncationSettings(task.maxPromptTokens(), task.maxAnswerTokens(), model.config().maxSeqLen());
        List<Example> train = new ArrayList<>(task.train().size());
        for (TaskRecord r : task.train()) train.add(Example.of(r, spec.tokenizer(), limits));
        return new TaskContext(model, spec.tokenizer(), spec.suite(), t, train, spec.settings(), lr, seed, dir.resolve("scratch"),
                method.seesOldData());
    }

    static String modelFile(int finished) { return "model-after-" + finished + ".ckpt"; }

    static String methodDir(int finished) { return "method-after-" + finished; }

    Path runDir(Variant v, long seed) { return spec.out().resolve("runs").resolve(v.name()).resolve("seed-" + seed); }

    private static void writeModel(LlamaModel model, Path path, String task, int finished) throws IOException {
        Tensor none = Tensor.zeros(model.backend(), 1);
        TrainingCheckpoint.write(path, new TrainingCheckpoint.State(0, 0, 0, 0, "model after " + finished + " task(s)", task, List.of()),
                model.parameters(), none, none, new int[0]);
    }

    private static long changedCount(float[] before, Tensor after) {
        float[] now = after.toArray();
        long n = 0;
        for (int i = 0; i < now.length; i++) if (Float.floatToRawIntBits(now[i]) != Float.floatToRawIntBits(before[i])) n++;
        return n;
    }

    // ---------------------------------------------------------------- evaluation

    /** Every task's score and loss, every probe's score, and a few decoded samples per task. */
    private record Evaluated(double[] scores, double[] losses, Map<String, Probe.ProbeScore> probes,
                             List<List<TaskEvaluator.Sample>> samples) {}

    private interface Step { void done(long done, long total); }

    private Evaluated evaluate(LlamaModel model, List<Probe> probes, Step step) {
        List<SuiteTask> tasks = spec.suite().tasks();
        TaskEvaluator evaluator = new TaskEvaluator(spec.tokenizer());
        int n = tasks.size();
        double[] scores = new double[n], losses = new double[n];
        List<List<TaskEvaluator.Sample>> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TaskEvaluator.TaskScore s = evaluator.evaluate(model, tasks.get(i));
            scores[i] = s.score();
            losses[i] = s.answerLoss();
            samples.add(s.samples());
            step.done(i + 1, n + probes.size());
        }
        Map<String, Probe.ProbeScore> ps = new LinkedHashMap<>();
        for (int i = 0; i < probes.size(); i++) {
            ps.put(probes.get(i).name(), probes.get(i).score(model));
            step.done(n + i + 1, n + probes.size());
        }
        return new Evaluated(scores, losses, ps, samples);
    }

    /** The suite's probe, the base-agreement probe (sampled from this base), then the extra ones. */
    private List<Probe> probes(LlamaModel base) {
        List<Probe> out = new ArrayList<>();
        if (spec.suite().probe() != null) out.add(new CorpusProbe(spec.suite().probe(), spec.tokenizer()));
        ContinualSettings s = spec.settings();
        if (s.probeSamples() > 0) {
            out.add(BaseAgreementProbe.sample(base, s.probeSamples(), s.probeLength(), s.probeSeed(), spec.tokenizer().bosId(),
                    spec.tokenizer().eosId()));
        }
        out.addAll(spec.extraProbes());
        return out;
    }

    // ---------------------------------------------------------------- inputs and the output folder

    private void checkTokenizer(LlamaModel base) {
        Tokenizer tok = spec.tokenizer();
        int vocab = base.config().vocabSize();
        if (tok.vocabSize() > vocab) {
            throw new IllegalArgumentException(spec.baseModel() + ": the model's vocabulary has " + vocab + " ids but the tokenizer ("
                    + tok.describe() + ") has " + tok.vocabSize() + ": expected a tokenizer made for this model");
        }
        if (tok.bosId() < 0 || tok.eosId() < 0) {
            throw new IllegalArgumentException("tokenizer " + tok.describe() + " has no BOS or EOS id: continual tasks need both (prompt starts, answer ends)");
        }
        String wanted = spec.suite().tokenizer();
        if (wanted != null && wanted.equals("byte") && !tok.describe().startsWith("byte")) {
            throw new IllegalArgumentException(spec.suite().source() + ": field 'tokenizer' = \"byte\", but the run uses " + tok.describe()
                    + ": expected --tokenizer byte");
        }
    }

    /** What defines the numbers of this output folder; a resume must see the same. */
    private Map<String, Object> config(LlamaModel base, List<Probe> probes) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("base_model", spec.baseModel().toString());
        c.put("base_model_hash", ModelFingerprint.of(base.parameters()));
        c.put("model_config", base.config().toString());
        c.put("parameters", base.layout().size());
        c.put("tokenizer", spec.tokenizer().describe());
        c.put("suite", spec.suite().name());
        c.put("suite_source", spec.suite().source());
        c.put("eval_split", spec.suite().evalSplit());
        c.put("suite_digest", SuiteDigest.of(spec.suite()));
        c.put("tasks", spec.suite().taskNames());
        c.put("task_metrics", spec.suite().tasks().stream().map(t -> t.metric().cliName()).toList());
        c.put("task_domains", spec.suite().tasks().stream().map(SuiteTask::domain).toList());
        c.put("methods", spec.methods());
        c.put("variants", variants.stream().map(Variant::name).toList());
        c.put("seeds", spec.seeds());
        c.put("ratios", spec.ratios());
        c.put("lr_sweep", spec.lrSweep());
        c.put("settings", spec.settings());
        c.put("method_settings", new java.util.TreeMap<>(spec.methodSettings()));
        Map<String, Object> probeFacts = new LinkedHashMap<>();
        for (Probe p : probes) probeFacts.put(p.name(), Map.of("describe", p.describe(), "higher_is_better", p.higherIsBetter()));
        c.put("probes", probeFacts);
        c.put("backend", backend.name());
        return c;
    }

    private void prepareOutput(Map<String, Object> config) throws IOException {
        Path out = spec.out();
        Path configPath = out.resolve("config.json");
        if (Files.exists(configPath)) {
            if (!spec.resume()) {
                throw new IllegalArgumentException(out + " already holds a continual run (config.json): --resume continues it, or choose another --out");
            }
            Map<?, ?> old = JsonFiles.read(configPath, Map.class);
            Map<?, ?> now = JsonFiles.MAPPER.readValue(JsonFiles.MAPPER.writeValueAsBytes(config), Map.class);
            for (var e : now.entrySet()) {
                if (!java.util.Objects.equals(old.get(e.getKey()), e.getValue())) {
                    throw new IllegalArgumentException(configPath + ": field '" + e.getKey() + "' = " + old.get(e.getKey())
                            + " but this invocation has " + e.getValue() + ": --resume needs the same settings (or choose another --out)");
                }
            }
            return;
        }
        if (Files.isDirectory(out)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) throw new IllegalArgumentException(out + " is not empty and holds no continual run: choose an empty or new --out");
            }
        }
        Map<String, Object> record = new LinkedHashMap<>(config);
        record.put("environment", ContinualResults.environment(backend));
        Files.createDirectories(out);
        JsonFiles.write(configPath, record);
    }

    // ---------------------------------------------------------------- progress

    private void report(String run, int runIndex, String taskName, int task, int taskCount, String phase, long done, long total) {
        int p = java.util.Arrays.asList(PHASES).indexOf(phase);
        double within = 0;
        if (p >= 0) {
            for (int i = 0; i < p; i++) within += PHASE_WEIGHT[i];
            within += PHASE_WEIGHT[p] * (total == 0 ? 0 : (double) done / total);
        }
        double units = variants.size() * (double) spec.seeds().size() * taskCount;
        double fraction = run.equals("base") ? 0 : Math.min(1, (unitsDone + within) / units);
        double elapsed = seconds(startNanos);
        double progressed = fraction - unitsAtStart / units;
        double eta = progressed > 1e-6 ? elapsed * (1 - fraction) / progressed : Double.NaN;
        listener.update(new Progress(run, runIndex, variants.size() * spec.seeds().size(), task, taskCount, taskName, phase, done, total, fraction, eta));
    }

    private static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
