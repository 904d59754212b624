package io.piece4j.distributed;

import io.piece4j.cli.SparkOptions;
import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.continual.ContinualSettings;
import io.piece4j.piece.continual.SuiteReader;
import io.piece4j.piece.data.Batcher;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.data.TaskRecord;
import io.piece4j.piece.data.TruncationSettings;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.cpu.RefBackend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A tiny byte-level Llama (two layers, untied head) and a two-task suite with a probe, written under a new
 * temporary folder from fixed seeds: small enough that a sweep of a few runs takes seconds.
 */
final class SparkFixture {
    static final LlamaConfig CONFIG = new LlamaConfig(32, 2, 4, 2, 8, 64, 259, 40, 1e-5f, 10000f, false,
            LlamaConfig.RopeLayout.INTERLEAVED, null);

    final Path dir, model, suite;

    private SparkFixture(Path dir) {
        this.dir = dir;
        this.model = dir.resolve("base.safetensors");
        this.suite = dir.resolve("suite").resolve("suite.json");
    }

    private static SparkFixture shared;
    private static Path sharedLocalSweep;

    /** One fixture per test JVM (the test classes run in one fork), so its local reference is computed once. */
    static synchronized SparkFixture shared() throws IOException {
        if (shared == null) shared = create();
        return shared;
    }

    static final List<String> SWEEP_METHODS = List.of("piece-s", "random");
    static final List<Long> SWEEP_SEEDS = List.of(1L, 2L);

    /** The local runner's output folder for the sweep the tests distribute (methods piece-s and random, seeds 1 and 2). */
    synchronized Path localSweep() throws IOException {
        if (this == shared && sharedLocalSweep != null) return sharedLocalSweep;
        Path out = dir.resolve("local");
        try (var be = io.piece4j.tensor.Backends.create("simd", 1)) {
            new ContinualRun(spec(SWEEP_METHODS, SWEEP_SEEDS, out), be).run();
        }
        if (this == shared) sharedLocalSweep = out;
        return out;
    }

    static SparkFixture create() throws IOException {
        SparkFixture f = new SparkFixture(Files.createTempDirectory("spark-fixture"));
        LlamaModel base = new LlamaModel(CONFIG, new RefBackend());
        base.initRandom(23, 0.08f);
        ModelFiles.save(base, f.model, ModelFiles.Format.SAFETENSORS, "f32", null);
        Path s = f.suite.getParent();
        Rng rng = new Rng(17);
        writeTask(s, "reverse", rng, r -> {
            String w = word(r, 3);
            return new String[] {"rev " + w + "=", new StringBuilder(w).reverse().toString()};
        });
        writeTask(s, "parity", rng, r -> {
            int n = 1 + r.nextInt(6);
            return new String[] {"odd " + "o".repeat(n) + "?", n % 2 == 1 ? "yes" : "no"};
        });
        Files.createDirectories(s.resolve("probe"));
        Files.writeString(s.resolve("probe/heldout.txt"), "a fox jumps over a log. a hen sits on an egg. the sun is warm.\n".repeat(3));
        Files.writeString(f.suite, """
                {"name": "spark-tiny", "tokenizer": "byte",
                 "tasks": [
                  {"name": "reverse", "domain": "reverse a word", "train": "reverse/train.jsonl", "test": "reverse/test.jsonl", "metric": "exact-match", "max_new_tokens": 4},
                  {"name": "parity", "domain": "odd or even", "train": "parity/train.jsonl", "test": "parity/test.jsonl", "metric": "exact-match", "max_new_tokens": 4}
                 ],
                 "probe": {"heldout": "probe/heldout.txt", "primary": "heldout"}}
                """);
        return f;
    }

    private interface Maker { String[] make(Rng r); }

    private static void writeTask(Path suiteDir, String name, Rng rng, Maker maker) throws IOException {
        Path d = suiteDir.resolve(name);
        Files.createDirectories(d);
        for (String split : new String[] {"train", "test"}) {
            StringBuilder sb = new StringBuilder();
            int n = split.equals("train") ? 20 : 5;
            for (int i = 0; i < n; i++) {
                String[] pa = maker.make(rng);
                sb.append("{\"prompt\": \"").append(pa[0]).append("\", \"answer\": \"").append(pa[1]).append("\"}\n");
            }
            Files.writeString(d.resolve(split + ".jsonl"), sb.toString());
        }
    }

    private static String word(Rng r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append((char) ('a' + r.nextInt(26)));
        return sb.toString();
    }

    /** Two epochs of batch 4, a large lr so the tiny model moves, a checkpoint after every step. */
    static ContinualSettings settings() {
        return new ContinualSettings(2, 4, 1, 1e-2f, Map.of(), "constant", 0, 1.0, 0.9f, 0.95f, 0f, 4, true, false, 1, 2, 10, 7);
    }

    ContinualRun.Spec spec(List<String> methods, List<Long> seeds, Path out) {
        return new ContinualRun.Spec(model, new ByteTokenizer(), SuiteReader.read(suite.toString(), SuiteReader.Options.all()), methods, seeds,
                List.of(0.02), List.of(), settings(), Map.of(), List.of(), out, false, false);
    }

    /** The first task's training examples, tokenised as the runner does. */
    List<Example> examples() {
        var s = SuiteReader.read(suite.toString(), SuiteReader.Options.all());
        var task = s.tasks().getFirst();
        TruncationSettings limits = new TruncationSettings(task.maxPromptTokens(), task.maxAnswerTokens(), CONFIG.maxSeqLen());
        List<Example> out = new ArrayList<>();
        for (TaskRecord r : task.train()) out.add(Example.of(r, new ByteTokenizer(), limits));
        return out;
    }

    /** The first task's importance batches (dataset order) of the given size. */
    List<TokenBatch> importanceBatches(int batchSize) { return Batcher.inOrder(examples(), batchSize, CONFIG.maxSeqLen()); }

    static SparkOptions local(int threads) { return new SparkOptions("local[" + threads + "]", null, 0, Map.of()); }
}
