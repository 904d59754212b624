package io.piece4j.tests;

import io.piece4j.cli.PieceCli;
import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The three ways to choose a backend (--backend, -Dpiece.backend, PIECE_BACKEND) work alike in every
 * command, through a real `piece` process (an environment variable cannot be set in-process): an unknown
 * name fails with the list of backends found, and the run record names the backend that ran.
 */
class BackendSelectionCliTest {
    private static Path dir, model, data;

    @BeforeAll
    static void tinyModelAndTask() throws IOException {
        dir = Files.createTempDirectory("backend-cli");
        LlamaConfig c = new LlamaConfig(16, 1, 2, 1, 8, 24, 259, 32, 1e-5f, 10000f, false, LlamaConfig.RopeLayout.INTERLEAVED, null);
        LlamaModel m = new LlamaModel(c, new RefBackend());
        m.initRandom(5, 0.1f);
        model = dir.resolve("tiny.safetensors");
        ModelFiles.save(m, model, ModelFiles.Format.SAFETENSORS, "f32", null);
        data = dir.resolve("task.jsonl");
        Files.writeString(data, "{\"prompt\": \"1 + 1 = \", \"answer\": \"2\"}\n{\"prompt\": \"2 + 2 = \", \"answer\": \"4\"}\n");
    }

    /** How a test asks for a backend: by environment variable, system property or option. */
    private enum Way { ENVIRONMENT, PROPERTY, OPTION }

    private record Outcome(int exitCode, String stdout, String stderr) {
        String all() { return "exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr; }
    }

    /** Runs `piece args...` in a child JVM with the backend asked for in the given way (null: not at all). */
    private static Outcome piece(Way way, String backend, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path")));
        if (way == Way.PROPERTY) cmd.add("-Dpiece.backend=" + backend);
        cmd.add(PieceCli.class.getName());
        cmd.addAll(List.of(args));
        if (way == Way.OPTION) cmd.addAll(List.of("--backend", backend));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.remove("PIECE_BACKEND");
        env.put("PIECE_THREADS", "1");
        if (way == Way.ENVIRONMENT) env.put("PIECE_BACKEND", backend);
        Path out = Files.createTempFile(dir, "stdout", ".txt"), err = Files.createTempFile(dir, "stderr", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("piece " + String.join(" ", args) + " did not finish in 120 s");
        }
        // generated text from random weights may be any bytes: decode leniently
        return new Outcome(p.exitValue(), new String(Files.readAllBytes(out), StandardCharsets.UTF_8),
                new String(Files.readAllBytes(err), StandardCharsets.UTF_8));
    }

    private static String[] generate() {
        return new String[] {"generate", "--model", model.toString(), "--prompt-ids", "1,7", "--max-tokens", "4", "--ids"};
    }

    private static String[] importance(Path out) {
        return new String[] {"importance", "--model", model.toString(), "--tokenizer", "byte", "--data", data.toString(),
                "--ratio", "0.01", "--batch", "2", "--out", out.toString()};
    }

    private static void assertFailsNaming(Outcome o, String name, String what) {
        assertEquals(2, o.exitCode(), what + " must fail on an unknown backend; " + o.all());
        assertTrue(o.stderr().contains("backend '" + name + "'") && o.stderr().contains("found: [") && o.stderr().contains("ref"),
                what + ": the error names the backend asked for and those found; " + o.all());
        assertTrue(o.stdout().isBlank(), what + ": nothing is computed before the error; " + o.all());
    }

    @Test
    void generateFailsOnAnUnknownBackendWhicheverWayItIsAskedFor() throws Exception {
        for (Way way : Way.values()) assertFailsNaming(piece(way, "opencl-missing", generate()), "opencl-missing", "generate via " + way);
    }

    @Test
    void importanceFailsOnAnUnknownBackendWhicheverWayItIsAskedFor() throws Exception {
        for (Way way : Way.values()) {
            Path out = dir.resolve("unknown-" + way + ".mask");
            assertFailsNaming(piece(way, "nosuch", importance(out)), "nosuch", "importance via " + way);
            assertTrue(Files.notExists(out), "no mask is written when the backend is unknown (" + way + ")");
        }
    }

    @Test
    void commandsThatComputeNothingStillRejectAnUnknownBackendVariable() throws Exception {
        assertFailsNaming(piece(Way.ENVIRONMENT, "nosuch", "inspect", model.toString()), "nosuch", "inspect");
        assertFailsNaming(piece(Way.PROPERTY, "nosuch", "convert", model.toString(), dir.resolve("x.gguf").toString()), "nosuch", "convert");
        assertTrue(Files.notExists(dir.resolve("x.gguf")), "convert wrote nothing");
    }

    @Test
    void theRunRecordNamesTheBackendChosenByEachWay() throws Exception {
        Outcome defaults = piece(null, null, importance(dir.resolve("default.mask")));
        assertEquals(0, defaults.exitCode(), defaults.all());
        assertTrue(Files.readString(dir.resolve("default.mask.json")).contains("\"backend\":\"simd\""),
                "with nothing asked for, the best backend (simd) runs and is recorded");
        for (Way way : Way.values()) {
            Path out = dir.resolve("ref-" + way + ".mask");
            Outcome o = piece(way, "ref", importance(out));
            assertEquals(0, o.exitCode(), way + ": " + o.all());
            String record = Files.readString(Path.of(out + ".json"));
            assertTrue(record.contains("\"backend\":\"ref\""), way + ": the run record must name ref, the backend that ran: " + record);
        }
    }

    @Test
    void generateRunsOnTheBackendTheEnvironmentNames() throws Exception {
        Outcome text = piece(Way.ENVIRONMENT, "ref", "generate", "--model", model.toString(), "--tokenizer", "byte", "--prompt", "ab",
                "--max-tokens", "4");
        assertEquals(0, text.exitCode(), text.all());
        assertTrue(text.stderr().contains("on ref ("), "generate reports the backend that ran on stderr: " + text.all());
    }
}
