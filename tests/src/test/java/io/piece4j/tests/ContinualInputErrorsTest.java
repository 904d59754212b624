package io.piece4j.tests;

import io.piece4j.cli.PieceCli;
import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad inputs to `piece continual` each get one clear line naming the file and field, exit code 2, and
 * nothing written to the output folder.
 */
class ContinualInputErrorsTest {
    private static ContinualFixture fixture;

    @BeforeAll
    static void setUp() throws Exception { fixture = ContinualFixture.create(); }

    /** Runs `piece continual` on a suite; returns {exit code, stderr}. */
    private static Object[] continual(Path suite, Path model, Path out) {
        var cl = PieceCli.commandLine();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        PrintStream oldOut = System.out;
        int code;
        try (PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
            System.setOut(quiet);
            code = cl.execute("continual", "--model", model.toString(), "--tokenizer", "byte", "--suite", suite.toString(),
                    "--methods", "piece-s,seqft", "--epochs", "1", "--out", out.toString(), "--backend", "ref");
        } finally {
            System.setOut(oldOut);
        }
        return new Object[] {code, err.toString(StandardCharsets.UTF_8)};
    }

    /** A copy of the fixture's suite with suite.json replaced by text. */
    private static Path suiteWith(String name, String json) throws Exception {
        Path dir = fixture.dir.resolve(name);
        Files.createDirectories(dir);
        try (var s = Files.walk(fixture.suite.getParent())) {
            for (Path p : s.toList()) {
                Path target = dir.resolve(fixture.suite.getParent().relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.writeString(dir.resolve("suite.json"), json);
        return dir.resolve("suite.json");
    }

    private static void assertOneClearLine(Object[] r, Path out, String... mustContain) {
        String err = (String) r[1];
        assertEquals(2, r[0], "exit code for a user's mistake; stderr: " + err);
        assertEquals(1, err.strip().lines().count(), "one line: " + err);
        for (String s : mustContain) assertTrue(err.contains(s), "the message should name " + s + ": " + err);
        assertFalse(Files.exists(out), "nothing may be written to the output folder: " + out);
    }

    private static final String TASK = """
            {"name": "upper", "train": "upper/train.jsonl", "test": "upper/test.jsonl", "metric": "exact-match", "max_new_tokens": 5}""";

    @Test
    void malformedSuiteJson() throws Exception {
        Path s = suiteWith("malformed", "{\"name\": \"x\", \"tasks\": [" + TASK + ",]}");
        Path out = fixture.dir.resolve("out-malformed");
        assertOneClearLine(continual(s, fixture.model, out), out, s.toString(), "malformed JSON", "line");
    }

    @Test
    void missingTaskFile() throws Exception {
        Path s = suiteWith("missing", "{\"name\": \"x\", \"tasks\": [" + TASK.replace("upper/test.jsonl", "upper/nope.jsonl") + "]}");
        Path out = fixture.dir.resolve("out-missing");
        assertOneClearLine(continual(s, fixture.model, out), out, "tasks[0].test", "upper/nope.jsonl", "no such file");
    }

    @Test
    void unknownMetric() throws Exception {
        Path s = suiteWith("metric", "{\"name\": \"x\", \"tasks\": [" + TASK.replace("exact-match", "accuracy-vibes") + "]}");
        Path out = fixture.dir.resolve("out-metric");
        assertOneClearLine(continual(s, fixture.model, out), out, "tasks[0].metric", "accuracy-vibes", "exact-match");
    }

    @Test
    void missingRequiredField() throws Exception {
        Path s = suiteWith("nofield", "{\"name\": \"x\", \"tasks\": [" + TASK.replace("\"max_new_tokens\": 5", "\"max_new_tokens\": 0") + "]}");
        Path out = fixture.dir.resolve("out-nofield");
        assertOneClearLine(continual(s, fixture.model, out), out, "tasks[0].max_new_tokens", "expected an integer >= 1");
    }

    @Test
    void badRecordInATaskFile() throws Exception {
        Path s = suiteWith("badrecord", "{\"name\": \"x\", \"tasks\": [" + TASK + "]}");
        Files.writeString(s.getParent().resolve("upper/train.jsonl"), "{\"prompt\": \"a\", \"answer\": \"b\"}\n{\"prompt\": \"a\"}\n");
        Path out = fixture.dir.resolve("out-badrecord");
        assertOneClearLine(continual(s, fixture.model, out), out, "upper/train.jsonl", "line 2", "answer");
    }

    @Test
    void modelAndTokenizerMismatch() throws Exception {
        LlamaConfig small = new LlamaConfig(16, 1, 2, 1, 8, 24, 67, 48, 1e-5f, 10000f, false, LlamaConfig.RopeLayout.INTERLEAVED, null);
        LlamaModel m = new LlamaModel(small, new RefBackend());
        m.initRandom(1, 0.1f);
        Path model = fixture.dir.resolve("vocab67").resolve("model.safetensors");
        ModelFiles.save(m, model, ModelFiles.Format.SAFETENSORS, "f32", null);
        Path out = fixture.dir.resolve("out-mismatch");
        assertOneClearLine(continual(fixture.suite, model, out), out, model.toString(), "67", "259");
    }
}
