package io.piece4j.bench;

import io.piece4j.cli.RunRecord;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.ContinualSettings;
import io.piece4j.piece.continual.Suite;
import io.piece4j.piece.continual.SuiteTask;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.continual.methods.MethodCatalog;
import io.piece4j.piece.continual.methods.MethodOptions;
import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.data.TaskRecord;
import io.piece4j.piece.data.TruncationSettings;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * What each continual-learning method costs beside plain training, measured the way the runner drives it:
 * on a fresh model per method, the method prepares, trains (one optimizer step) and finishes a first task,
 * so EWC, LwF, O-LoRA, GEM and replay have their state; then it prepares the second task (timed) and the
 * optimizer steps of every method are timed in turns, one step of each method per round, so that a change
 * of the machine's load during the run falls on every method alike (this machine is shared). SeqFT comes
 * first and is the reference of the ratios. A step is the Trainer's: the method's loss, backward, its
 * beforeStep hook, clipping and AdamW on its trained coordinates. Batches a method adds to an epoch
 * (replay's extra pass) make more steps per epoch, which the step time does not show.
 *
 * <p>Memory is accounted from the objects the method trains with, not sampled from the heap: the gradient
 * buffer, AdamW's two moments per trained coordinate, the method's own trained buffer (an adapter) and
 * what it keeps between tasks (the bytes its saveState writes). Memory a method holds only while a task
 * trains and does not save (a frozen copy of the model, say) is not in these figures.
 */
@Command(name = "methods", mixinStandardHelpOptions = true,
        description = "Time per training step, preparation and memory of continual methods on a model shape, SeqFT as the reference.")
final class MethodBench implements Callable<Integer> {
    @Option(names = "--model") Path model;
    @Option(names = "--config", description = "stories15M, stories110M or tiny with random seeded weights") String config;
    @Option(names = "--backend") String backend;
    @Option(names = "--threads", defaultValue = "0") int threads;
    @Option(names = "--methods", defaultValue = "all", split = ",", description = "method names (see piece continual) or all") List<String> methods;
    @Option(names = "--method-setting", description = "a method's own setting, KEY=VALUE; repeatable") Map<String, String> methodSettings = new LinkedHashMap<>();
    @Option(names = "--ratio", defaultValue = "0.001", description = "mask ratio of the methods that use one") double ratio;
    @Option(names = "--batch", defaultValue = "8") int batch;
    @Option(names = "--seq", defaultValue = "256", description = "tokens per example (BOS, prompt, answer, EOS)") int seq;
    @Option(names = "--steps", defaultValue = "3", description = "timed optimizer steps per method (after one more that is not timed)") int steps;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--json") boolean json;

    /** One method's figures. */
    record Row(String method, double prepareSeconds, double stepSeconds, double afterSeconds, long gradientBytes, long optimizerBytes,
               long ownParameterBytes, long stateBytes) {
        long memoryBytes() { return gradientBytes + optimizerBytes + ownParameterBytes + stateBytes; }
    }

    @Override
    public Integer call() throws Exception {
        List<String> names = new ArrayList<>(List.of("seqft"));
        for (String m : MethodCatalog.expand(methods)) if (!names.contains(m)) names.add(m);
        ContinualSettings settings = new ContinualSettings(1, batch, 1, 1e-4f, Map.of(), "constant", 0, 1.0, 0.9f, 0.95f, 0f, Math.min(batch, 4), true, false, 0, 0, 1, 1);
        List<Row> rows = new ArrayList<>();
        String shape = null;
        long parameters = 0;
        try (Backend be = Backends.create(backend, threads)) {
            List<Timed> timed = new ArrayList<>();
            List<Path> stateDirs = new ArrayList<>();
            try {
                for (String name : names) {
                    LlamaModel m = BenchModels.load(model, config, be, seed);
                    if (seq > m.config().maxSeqLen()) throw new IllegalArgumentException("--seq " + seq + " exceeds the model's max_seq_len " + m.config().maxSeqLen());
                    shape = m.config().toString();
                    parameters = m.layout().size();
                    ContinualMethod method = MethodCatalog.get(name).factory().create(new MethodOptions(ratio, seed, methodSettings), settings);
                    Path state = Files.createTempDirectory("method-bench");
                    stateDirs.add(state);
                    timed.add(prepareSecondTask(m, syntheticSuite(m, seq, batch, seed), method, settings, state));
                    System.out.printf("%-12s first task done, second prepared in %.3f s%n", name, timed.getLast().prepareSeconds);
                }
                for (Timed t : timed) t.step();                                         // warm-up, not timed
                for (int round = 0; round < steps; round++) for (Timed t : timed) t.timeStep();
                for (Timed t : timed) {
                    rows.add(t.finish());
                    Row r = rows.getLast();
                    System.out.printf("%-12s prepare %7.3f s  step %7.3f s  after %6.3f s  memory %,d bytes%n", r.method, r.prepareSeconds,
                            r.stepSeconds, r.afterSeconds, r.memoryBytes());
                }
            } finally {
                for (Path d : stateDirs) deleteTree(d);
            }
            Row ref = rows.getFirst();
            System.out.println();
            System.out.println("| method | step s | x SeqFT step | prepare s | after-task s | memory beside the model (MB) | x SeqFT memory |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|");
            for (Row r : rows) {
                System.out.printf(java.util.Locale.ROOT, "| %s | %.3f | %.2f | %.3f | %.3f | %.1f | %.2f |%n", r.method, r.stepSeconds,
                        r.stepSeconds / ref.stepSeconds, r.prepareSeconds, r.afterSeconds, r.memoryBytes() / 1e6,
                        (double) r.memoryBytes() / ref.memoryBytes());
            }
            if (json) {
                List<Map<String, Object>> list = new ArrayList<>();
                for (Row r : rows) {
                    Map<String, Object> j = new LinkedHashMap<>();
                    j.put("method", r.method);
                    j.put("step_seconds", r.stepSeconds);
                    j.put("step_ratio_vs_seqft", r.stepSeconds / ref.stepSeconds);
                    j.put("prepare_seconds", r.prepareSeconds);
                    j.put("after_task_seconds", r.afterSeconds);
                    j.put("gradient_bytes", r.gradientBytes);
                    j.put("optimizer_bytes", r.optimizerBytes);
                    j.put("own_parameter_bytes", r.ownParameterBytes);
                    j.put("state_bytes", r.stateBytes);
                    j.put("memory_bytes", r.memoryBytes());
                    j.put("memory_ratio_vs_seqft", (double) r.memoryBytes() / ref.memoryBytes());
                    list.add(j);
                }
                System.out.println(new RunRecord().put("benchmark", "methods").put("model", model != null ? model.toString() : config)
                        .put("model_config", shape).put("parameters", parameters).put("batch", batch).put("seq", seq).put("steps", steps)
                        .put("ratio", ratio).put("method_settings", methodSettings).put("backend", be.name()).put("threads", be.threads())
                        .put("seed", seed).put("rows", list).withEnvironment().toJson());
            }
        }
        return 0;
    }

    /** One method on its own model, ready to take timed steps on the second task. */
    private final class Timed {
        final LlamaModel model;
        final ContinualMethod method;
        final TaskContext context;
        final TrainPlan plan;
        final MaskedAdamW optimizer;
        final List<TokenBatch> batches;
        final Path stateDir;
        final double prepareSeconds;
        final List<Double> stepSeconds = new ArrayList<>();
        int next;

        Timed(LlamaModel model, ContinualMethod method, TaskContext context, TrainPlan plan, Path stateDir, double prepareSeconds) {
            this.model = model;
            this.method = method;
            this.context = context;
            this.plan = plan;
            this.stateDir = stateDir;
            this.prepareSeconds = prepareSeconds;
            Trainable t = plan.trainable();
            Mask trained = t.mask() != null ? t.mask() : everything(t.size());
            if (t.ofModel()) model.setTrainableIndices(t.mask() == null ? null : t.mask().indices());   // as the Trainer sets it up
            this.optimizer = new MaskedAdamW(t.params(), t.grads(), trained, MaskedAdamW.Settings.piece());
            this.batches = (plan.data() != null ? plan.data() : context.shuffledEpochs(context.train())).batches(0);
        }

        /** The Trainer's optimizer step on the next micro-batch. */
        void step() {
            TokenBatch b = batches.get(next++ % batches.size());
            Tensor grads = plan.trainable().grads();
            grads.zero();
            plan.hooks().loss(model, b).backward();
            plan.hooks().beforeStep(model, grads, optimizer.stepCount());
            optimizer.step(context.methodLr());
        }

        void timeStep() {
            long t0 = System.nanoTime();
            step();
            stepSeconds.add((System.nanoTime() - t0) / 1e9);
        }

        Row finish() throws Exception {
            long t0 = System.nanoTime();
            method.afterTask(context);
            double after = (System.nanoTime() - t0) / 1e9;
            Path saved = stateDir.resolve("saved");
            Files.createDirectories(saved);
            method.saveState(saved);
            long stateBytes;
            try (Stream<Path> s = Files.walk(saved)) {
                stateBytes = s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            Trainable t = plan.trainable();
            long own = t.params() == model.parameters() ? 0 : t.size() * Float.BYTES;
            double[] sorted = stepSeconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return new Row(method.name(), prepareSeconds, sorted[sorted.length / 2], after, t.size() * Float.BYTES,
                    2L * t.trainedCount() * Float.BYTES, own, stateBytes);
        }
    }

    /** The first task trained (one optimizer step) and finished as the runner does; the second prepared (timed). */
    private Timed prepareSecondTask(LlamaModel m, Suite suite, ContinualMethod method, ContinualSettings settings, Path stateDir) throws Exception {
        TaskContext first = context(m, suite, 0, method, settings, stateDir);
        TrainPlan plan = method.prepare(first);
        trainer(m, first, plan, settings).run(false);
        method.afterTask(first);
        TaskContext second = context(m, suite, 1, method, settings, stateDir);
        long t0 = System.nanoTime();
        plan = method.prepare(second);
        return new Timed(m, method, second, plan, stateDir, (System.nanoTime() - t0) / 1e9);
    }

    private static Mask everything(long n) {
        int[] all = new int[Math.toIntExact(n)];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return new Mask(all, n, n, 1.0, "full", "", "", 0, 0);
    }

    private static Trainer trainer(LlamaModel m, TaskContext ctx, TrainPlan plan, ContinualSettings settings) {
        return new Trainer(m, plan.trainable(), settings.training(ctx.methodLr(), ctx.seed()),
                plan.data() != null ? plan.data() : ctx.shuffledEpochs(ctx.train()), ctx.task().name(), null).withHooks(plan.hooks());
    }

    private TaskContext context(LlamaModel m, Suite suite, int t, ContinualMethod method, ContinualSettings settings, Path stateDir) {
        SuiteTask task = suite.tasks().get(t);
        TruncationSettings limits = new TruncationSettings(0, 0, m.config().maxSeqLen());
        List<Example> train = new ArrayList<>();
        for (TaskRecord r : task.train()) train.add(Example.of(r, new ByteTokenizer(), limits));
        return new TaskContext(m, new ByteTokenizer(), suite, t, train, settings, settings.lr(), seed, stateDir, method.seesOldData());
    }

    /**
     * Two tasks of n records of random lowercase text, each record seq tokens long with the byte tokenizer
     * (BOS, prompt of seq / 2 - 1 bytes, answer of seq - seq / 2 - 2 bytes, EOS); byte ids fit any vocabulary of 259 or more.
     */
    static Suite syntheticSuite(LlamaModel m, int seq, int n, long seed) {
        if (m.config().vocabSize() < 259) throw new IllegalArgumentException("the byte tokenizer needs a vocabulary of at least 259, the model has " + m.config().vocabSize());
        Rng rng = new Rng(seed);
        List<SuiteTask> tasks = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            List<TaskRecord> records = new ArrayList<>();
            for (int i = 0; i < n; i++) records.add(new TaskRecord(text(rng, seq / 2 - 1), text(rng, seq - seq / 2 - 2), i + 1));
            tasks.add(new SuiteTask("task" + (t + 1), "random text", records, List.of(), records.subList(0, 1), TaskMetric.ANSWER_LOSS, 1, 0, 0));
        }
        return new Suite("bench", "synthetic", "byte", tasks, null);
    }

    private static String text(Rng rng, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) sb.append((char) ('a' + rng.nextInt(26)));
        return sb.toString();
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
