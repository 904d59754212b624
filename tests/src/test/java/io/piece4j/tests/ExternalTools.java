package io.piece4j.tests;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Programs outside the JVM that interop tests run (a C compiler, python3). CI (.ci/run) installs them and sets
 * -Dpiece.interop.require=true, so there a missing one fails; elsewhere the test is skipped, saying why.
 */
final class ExternalTools {
    private ExternalTools() {}

    /** The first of the names found on PATH; skips (or, under -Dpiece.interop.require=true, fails) if none is. */
    static String require(String why, String... names) {
        for (String name : names) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) return Path.of(dir, name).toString();
            }
        }
        String message = why + " needs one of " + List.of(names) + " on PATH (Debian: apt-get install gcc python3)";
        if (Boolean.getBoolean("piece.interop.require")) throw new AssertionError(message);
        Assumptions.abort(message);
        return null;
    }

    /** What a finished process printed. */
    record Result(int exitCode, String out, String err) {}

    /** Runs a command to completion (at most timeoutSeconds), collecting stdout and stderr. */
    static Result run(long timeoutSeconds, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("piece-tool", ".out"), err = Files.createTempFile("piece-tool", ".err");
        try {
            Process p = new ProcessBuilder(new ArrayList<>(command)).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** A test resource as a file path. */
    static Path resource(String name) {
        try {
            return Path.of(ExternalTools.class.getResource(name).toURI());
        } catch (Exception e) {
            throw new IllegalStateException("test resource " + name + " is missing", e);
        }
    }
}
