package io.piece4j.bench;

import io.piece4j.cli.PieceCli;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The benchmark commands choose their backend as every other command does (PIECE_BACKEND,
 * -Dpiece.backend, --backend), fail on an unknown one, and their JSON names the backend that ran;
 * through a real `piece` process, since an environment variable cannot be set in-process.
 */
class BenchBackendChoiceTest {
    private record Outcome(int exit, String stdout, String stderr) {
        String lastLine() {
            String[] lines = stdout.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    private static Outcome piece(String envBackend, String propertyBackend, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path")));
        if (propertyBackend != null) cmd.add("-Dpiece.backend=" + propertyBackend);
        cmd.add(PieceCli.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("PIECE_BACKEND");
        if (envBackend != null) pb.environment().put("PIECE_BACKEND", envBackend);
        Path out = Files.createTempFile("bench", ".out"), err = Files.createTempFile("bench", ".err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("piece " + String.join(" ", args) + " did not finish in 180 s");
        }
        return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void generateBenchmarkRunsOnTheBackendTheEnvironmentNamesAndSaysSo() throws Exception {
        Outcome o = piece("ref", null, "bench", "generate", "--config", "tiny", "--tokens", "8", "--warmup", "0", "--repeats", "1", "--json");
        assertEquals(0, o.exit(), o.stderr());
        assertTrue(o.lastLine().contains("\"backend\":\"ref\""), "JSON names ref: " + o.lastLine());
    }

    @Test
    void trainBenchmarkRunsOnTheBackendThePropertyNamesAndSaysSo() throws Exception {
        Outcome o = piece("ref", "ejml", "bench", "train", "--config", "tiny", "--batch", "2", "--seq", "16", "--mode", "full",
                "--steps", "1", "--threads", "2", "--json");
        assertEquals(0, o.exit(), o.stderr());
        assertTrue(o.lastLine().contains("\"backend\":\"ejml\""), "-Dpiece.backend wins over PIECE_BACKEND: " + o.lastLine());
    }

    @Test
    void benchmarksFailOnAnUnknownBackendFromTheEnvironment() throws Exception {
        Outcome o = piece("opencl-missing", null, "bench", "generate", "--config", "tiny", "--tokens", "4", "--json");
        assertEquals(2, o.exit(), "stdout: " + o.stdout() + "\nstderr: " + o.stderr());
        assertTrue(o.stderr().contains("backend 'opencl-missing'") && o.stderr().contains("found: ["), o.stderr());
    }
}
