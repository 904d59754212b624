package io.piece4j.distributed;

import io.piece4j.cli.CliExtension;
import io.piece4j.cli.SparkOptions;
import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.piece.Mask;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.JsonFiles;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.spi.Backend;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * `piece spark-scaling --spark MASTER`: measures the terms of {@link StepCostModel} on a cluster (Spark's job
 * latency, the cost of sending k floats back from a task, one masked micro-batch's compute at the stories15M
 * shape), times real data-parallel masked steps against the same micro-batches trained locally in the same
 * run, and prints what the model predicts for 8 to 64 executors at the stories15M and TinyLlama-1.1B shapes.
 */
@Command(name = "spark-scaling", mixinStandardHelpOptions = true,
        description = "Measure Spark's job latency, the k-float exchange and masked compute, time data-parallel masked steps against local ones, "
                + "and predict step times for 8-64 executors (stories15M and 1.1B shapes). Needs --spark.")
public final class ScalingCommand implements Callable<Integer>, CliExtension {
    static final LlamaConfig STORIES15M = new LlamaConfig(288, 6, 6, 6, 48, 768, 32000, 256, 1e-5f, 10000f, true, LlamaConfig.RopeLayout.INTERLEAVED, null);
    static final LlamaConfig TINYLLAMA_1B = new LlamaConfig(2048, 22, 32, 4, 64, 5632, 32000, 2048, 1e-5f, 10000f, false,
            LlamaConfig.RopeLayout.HALF_SPLIT, null);

    @Option(names = "--spark", required = true, paramLabel = "MASTER", description = "local[N] or spark://HOST:PORT") String master;
    @Option(names = "--spark-conf", paramLabel = "KEY=VALUE", description = "a Spark setting, repeatable") Map<String, String> conf = new LinkedHashMap<>();
    @Option(names = "--shards", defaultValue = "2", description = "executors (Spark tasks) per measured step") int shards;
    @Option(names = "--batch", defaultValue = "8", description = "examples per micro-batch") int batch;
    @Option(names = "--seq", defaultValue = "256", description = "tokens per example") int seq;
    @Option(names = "--ratio", defaultValue = "0.001", description = "mask ratio") double ratio;
    @Option(names = "--steps", defaultValue = "3", description = "timed optimizer steps (after one untimed); 0 skips the step timing") int steps;
    @Option(names = "--reps", defaultValue = "15", description = "repetitions of each latency measurement (median)") int reps;
    @Option(names = "--global-batch", defaultValue = "64", description = "micro-batches per optimizer step in the predictions") int globalBatch;
    @Option(names = "--micro-batch-seconds", paramLabel = "S",
            description = "predict with this compute time per stories15M micro-batch instead of the one measured here (e.g. from an idle machine)")
    Double microBatchSeconds;
    @Option(names = "--backend", description = "backend (default: best available)") String backend;
    @Option(names = "--json", description = "write the figures as JSON to this file") Path json;

    @Override public String name() { return "spark-scaling"; }
    @Override public Object command() { return new ScalingCommand(); }

    @Override
    public Integer call() throws Exception {
        if (steps < 0) throw new IllegalArgumentException("--steps: expected 0 or more, got " + steps);
        if (microBatchSeconds != null && !(microBatchSeconds > 0))
            throw new IllegalArgumentException("--micro-batch-seconds: expected a positive number of seconds, got " + microBatchSeconds);
        Map<String, Object> out = new LinkedHashMap<>();
        SparkOptions options = new SparkOptions(master, null, shards, conf);
        try (JavaSparkContext sc = SparkConnection.open(options, "piece4j spark-scaling"); Backend be = Backends.create(backend, 1)) {
            int threads = SparkConnection.taskThreads(sc);
            out.put("master", master);
            out.put("backend", be.name());
            out.put("task_threads", threads);
            out.put("shards", shards);

            // Spark's latency: a job of E no-op tasks, for two E, to split it into a fixed part and a per-task part
            double job2 = median(() -> time(() -> sc.parallelize(range(shards), shards).map(x -> x).collect()));
            int many = Math.max(4 * shards, 16);
            double jobMany = median(() -> time(() -> sc.parallelize(range(many), many).map(x -> x).collect()));
            double perTask = Math.max(0, (jobMany - job2) / (many - shards));
            double fixed = Math.max(0, job2 - shards * perTask);
            out.put("job_seconds_" + shards + "_tasks", job2);
            out.put("job_seconds_" + many + "_tasks", jobMany);
            System.out.printf("Spark job latency: %.1f ms with %d tasks, %.1f ms with %d: %.1f ms + %.2f ms per task%n",
                    job2 * 1e3, shards, jobMany * 1e3, many, fixed * 1e3, perTask * 1e3);

            // the k-float exchange: tasks sending k floats back, less the no-op job
            long k15 = Mask.budget(ratio, StepCostModel.parameters(STORIES15M)[1]), k1b = Mask.budget(ratio, StepCostModel.parameters(TINYLLAMA_1B)[1]);
            double x15 = Math.max(0, median(() -> time(() -> sc.parallelize(range(shards), shards).map(x -> new float[(int) k15]).collect())) - job2);
            double x1b = Math.max(0, median(() -> time(() -> sc.parallelize(range(shards), shards).map(x -> new float[(int) k1b]).collect())) - job2);
            out.put("k_stories15M", k15);
            out.put("k_1.1B", k1b);
            out.put("exchange_seconds_stories15M", x15);
            out.put("exchange_seconds_1.1B", x1b);
            System.out.printf("k floats back from %d tasks: stories15M k = %,d: %.2f ms; 1.1B k = %,d: %.2f ms%n", shards, k15, x15 * 1e3, k1b, x1b * 1e3);

            // compute: one masked micro-batch at the stories15M shape, here, with the executors' thread count
            Path dir = Files.createTempDirectory("spark-scaling");
            LlamaModel model;
            try (Backend init = Backends.create("ref", 1)) {
                LlamaModel m = new LlamaModel(STORIES15M, init);
                m.initRandom(1, 0.02f);
                ModelFiles.save(m, dir.resolve("stories15M-shape.bin"), ModelFiles.Format.LLAMA2C, "f32", null);
            }
            Backend local = Backends.create(be.name(), threads);
            model = ModelFiles.load(dir.resolve("stories15M-shape.bin"), local);
            Mask mask = randomMask(model, ratio);
            List<TokenBatch> micro = new ArrayList<>();
            Rng rng = new Rng(3);
            for (int i = 0; i < shards * (steps + 1); i++) micro.add(randomBatch(rng, batch, seq, STORIES15M.vocabSize()));
            model.setTrainableIndices(mask.indices());
            double c = median(3, () -> time(() -> {
                Tensor grads = model.gradients();
                grads.zero();
                TokenBatch b = micro.getFirst();
                Elementwise.scale(model.loss(b.tokens(), b.targets(), b.batch(), b.seq()), 1f / shards).backward();
            }));
            out.put("compute_seconds_per_micro_batch", c);
            System.out.printf("masked micro-batch (%d x %d tokens, k = %,d) on %s with %d thread(s): %.3f s%n", batch, seq, mask.size(), be.name(), threads, c);

            // real steps: G = shards micro-batches per step, over shards executors, against the local Trainer
            if (steps > 0) {
                TrainSettings ts = new TrainSettings(1, 1e-4f, "constant", 0, batch, shards, 1.0, 0.9f, 0.95f, 1e-8f, 0f, 1, 0, false);
                ModelShipment ship = ModelShipment.of(sc, dir.resolve("stories15M-shape.bin"), be.name(), threads, null);
                List<Double> sparkTimes = new ArrayList<>();
                long[] last = {System.nanoTime()};
                LlamaModel driver = ModelFiles.load(dir.resolve("stories15M-shape.bin"), be);
                DataParallelTrainer.Result r = new DataParallelTrainer(sc, ship, mask, ts, e -> micro, shards)
                        .onProgress((step, total, loss, lr, tok, secs) -> { long now = System.nanoTime(); sparkTimes.add((now - last[0]) / 1e9); last[0] = now; })
                        .run(driver);
                List<Double> localTimes = new ArrayList<>();
                LlamaModel again = ModelFiles.load(dir.resolve("stories15M-shape.bin"), local);
                long[] lastLocal = {System.nanoTime()};
                new Trainer(again, mask, ts, e -> micro, "scaling", null)
                        .onProgress((step, total, loss, lr, tok, secs) -> { long now = System.nanoTime(); localTimes.add((now - lastLocal[0]) / 1e9); lastLocal[0] = now; })
                        .run(false);
                double sparkStep = medianOf(sparkTimes.subList(1, sparkTimes.size())), localStep = medianOf(localTimes.subList(1, localTimes.size()));
                boolean same = Arrays.equals(driver.parameters().toArray(), again.parameters().toArray());
                out.put("spark_step_seconds", sparkStep);
                out.put("local_step_seconds", localStep);
                out.put("spark_over_local", sparkStep / localStep);
                out.put("same_weights_as_local", same);
                out.put("exchange", r.exchange().summary());
                System.out.printf("masked step of %d micro-batches: Spark over %d executors %.3f s, locally (%d thread(s)) %.3f s: ratio %.2f; weights %s%n",
                        shards, shards, sparkStep, threads, localStep, sparkStep / localStep, same ? "bit-identical" : "DIFFER");
                System.out.println("exchange per step: " + r.exchange().summary());
            }
            local.close();

            // predictions at a fixed global batch
            double flops15 = StepCostModel.maskedMicroBatchFlops(STORIES15M, batch * seq, seq, k15);
            double flops1b = StepCostModel.maskedMicroBatchFlops(TINYLLAMA_1B, batch * seq, seq, k1b);
            double cPredict = microBatchSeconds != null ? microBatchSeconds : c;
            out.put("compute_seconds_in_predictions", cPredict);
            StepCostModel m15 = new StepCostModel(cPredict, x15, fixed, perTask);
            StepCostModel m1b = new StepCostModel(cPredict * flops1b / flops15, x1b, fixed, perTask);
            List<Map<String, Object>> rows = new ArrayList<>();
            System.out.printf("%npredicted step time, %d micro-batches of %d x %d per step; c = %.3f s per stories15M micro-batch, x%.0f at 1.1B (FLOPs)%n",
                    globalBatch, batch, seq, cPredict, flops1b / flops15);
            System.out.println("| executors | stories15M s/step | speed-up | 1.1B s/step | speed-up | masked bytes/step (1.1B) | dense all-reduce bytes/step (1.1B) |");
            System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
            long p1b = StepCostModel.parameters(TINYLLAMA_1B)[0];
            for (int e : new int[] {1, 8, 16, 32, 64}) {
                double t15 = m15.stepSeconds(globalBatch, e), t1b = m1b.stepSeconds(globalBatch, e);
                double masked = 4.0 * k1b * e + (4.0 * k1b + 4) * globalBatch, dense = 2.0 * 4 * p1b * e;
                rows.add(Map.of("executors", e, "stories15M_step_seconds", t15, "tinyllama_step_seconds", t1b, "masked_bytes", masked, "dense_bytes", dense));
                System.out.printf("| %d | %.2f | %.1fx | %.1f | %.1fx | %,.0f | %,.0f |%n", e, t15, m15.stepSeconds(globalBatch, 1) / t15, t1b,
                        m1b.stepSeconds(globalBatch, 1) / t1b, masked, dense);
            }
            out.put("predictions", rows);
            if (json != null) JsonFiles.write(json, out);
        }
        return 0;
    }

    private static List<Integer> range(int n) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(i);
        return l;
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private double median(Supplier<Double> s) { return median(reps, s); }

    private static double median(int reps, Supplier<Double> s) {
        s.get(); // warm-up
        List<Double> xs = new ArrayList<>();
        for (int i = 0; i < reps; i++) xs.add(s.get());
        return medianOf(xs);
    }

    private static double medianOf(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** k = budget(ratio) indices drawn uniformly from the eligible range (a stand-in for a PIECE mask of the same size). */
    private static Mask randomMask(LlamaModel m, double ratio) {
        var ranges = io.piece4j.piece.ImportanceEstimation.eligible(m.layout());
        long eligible = io.piece4j.piece.ImportanceEstimation.count(ranges);
        int k = Mask.budget(ratio, eligible);
        Rng rng = new Rng(7);
        java.util.TreeSet<Integer> set = new java.util.TreeSet<>();
        long start = ranges[0].begin(), span = m.layout().size() - start;
        while (set.size() < k) set.add((int) (start + (long) (rng.nextFloat() * span)));
        return new Mask(set.stream().mapToInt(Integer::intValue).toArray(), m.layout().size(), eligible, ratio, "random", "scaling", "", 0, 0);
    }

    private static TokenBatch randomBatch(Rng rng, int batch, int seq, int vocab) {
        int[] tokens = new int[batch * seq], targets = new int[batch * seq];
        for (int i = 0; i < tokens.length; i++) tokens[i] = 1 + rng.nextInt(vocab - 1);
        for (int i = 0; i < tokens.length; i++) targets[i] = (i + 1) % seq == 0 ? -1 : tokens[i + 1];
        return new TokenBatch(tokens, targets, batch, seq);
    }
}
