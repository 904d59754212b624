package io.piece4j.tests;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.continual.ContinualSettings;
import io.piece4j.piece.continual.Suite;
import io.piece4j.piece.continual.SuiteReader;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.cpu.RefBackend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A tiny byte-level model and a three-task suite with a probe, written to a folder, for end-to-end
 * tests of the continual runner. Everything is generated from fixed seeds.
 */
final class ContinualFixture {
    static final LlamaConfig CONFIG = new LlamaConfig(32, 2, 4, 2, 8, 48, 259, 48, 1e-5f, 10000f, false,
            LlamaConfig.RopeLayout.INTERLEAVED, null);

    final Path dir, model, suite;

    private ContinualFixture(Path dir) {
        this.dir = dir;
        this.model = dir.resolve("base.safetensors");
        this.suite = dir.resolve("suite").resolve("suite.json");
    }

    /** A fixture already written to dir by {@link #create()}. */
    static ContinualFixture at(Path dir) { return new ContinualFixture(dir); }

    /** Writes the model and the suite under a new temporary folder. */
    static ContinualFixture create() throws IOException {
        ContinualFixture f = new ContinualFixture(Files.createTempDirectory("continual"));
        LlamaModel base = new LlamaModel(CONFIG, new RefBackend());
        base.initRandom(11, 0.1f);
        ModelFiles.save(base, f.model, ModelFiles.Format.SAFETENSORS, "f32", null);
        Path s = f.suite.getParent();
        Rng rng = new Rng(5);
        writeTask(s, "upper", rng, r -> {
            String w = word(r, 3);
            return new String[] {"up " + w + "=", w.toUpperCase()};
        });
        writeTask(s, "count", rng, r -> {
            int n = 1 + r.nextInt(5);
            return new String[] {"n " + "x".repeat(n) + "=", Integer.toString(n)};
        });
        writeTask(s, "pick", rng, r -> {
            char c = (char) ('A' + r.nextInt(3));
            return new String[] {"pick " + c + ": A B C=", Character.toString(c)};
        });
        Files.createDirectories(s.resolve("probe"));
        Files.writeString(s.resolve("probe/heldout.txt"), "the cat sat on the mat. the dog ran to the park. a bird sang in the tree.\n".repeat(4));
        Files.writeString(s.resolve("probe/skills.jsonl"), """
                {"prompt": "the cat sat on the", "answer": " mat"}
                {"prompt": "the dog ran to the", "answer": " park"}
                """);
        Files.writeString(f.suite, """
                {"name": "tiny", "tokenizer": "byte",
                 "tasks": [
                  {"name": "upper", "domain": "upper-case a word", "train": "upper/train.jsonl", "valid": "upper/valid.jsonl", "test": "upper/test.jsonl", "metric": "exact-match", "max_new_tokens": 5},
                  {"name": "count", "domain": "count letters", "train": "count/train.jsonl", "test": "count/test.jsonl", "metric": "accuracy-number", "max_new_tokens": 3},
                  {"name": "pick", "domain": "pick a letter", "train": "pick/train.jsonl", "test": "pick/test.jsonl", "metric": "accuracy-letter", "max_new_tokens": 3}
                 ],
                 "probe": {"heldout": "probe/heldout.txt", "skills": "probe/skills.jsonl", "skills_metric": "exact-match", "skills_max_new_tokens": 6, "primary": "heldout"}}
                """);
        return f;
    }

    private interface Maker { String[] make(Rng r); }

    private static void writeTask(Path suiteDir, String name, Rng rng, Maker maker) throws IOException {
        Path d = suiteDir.resolve(name);
        Files.createDirectories(d);
        for (String split : new String[] {"train", "valid", "test"}) {
            StringBuilder sb = new StringBuilder();
            int n = split.equals("train") ? 24 : 6;
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

    Suite readSuite() { return SuiteReader.read(suite.toString(), SuiteReader.Options.all()); }

    /** Short training: 2 epochs, batch 4, a large lr so a few steps move the tiny model; a checkpoint every step. */
    static ContinualSettings settings() {
        return new ContinualSettings(2, 4, 1, 1e-2f, Map.of(), "constant", 0, 1.0, 0.9f, 0.95f, 0f, 4, true, false, 1, 4, 12, 7);
    }

    ContinualRun.Spec spec(List<String> methods, Path out, boolean resume, boolean keepModels) {
        return new ContinualRun.Spec(model, new ByteTokenizer(), readSuite(), methods, List.of(1L), List.of(0.01), List.of(), settings(), Map.of(),
                List.of(), out, resume, keepModels);
    }
}
