package io.piece4j.backend.simd;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a main class of the test classes in a fresh JVM, for what one JVM cannot show: the kernels with
 * another vector width (the species is a per-JVM constant) and the provider in a JVM without the Vector API.
 */
final class ChildJvm {
    private ChildJvm() {}

    record Result(int exitCode, String output) {}

    /** Runs mainClass with the given JVM flags and the class path the tests run with. */
    static Result run(List<String> jvmFlags, String mainClass, long timeoutSeconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // drain while waiting, so a chatty child cannot block on a full pipe
        StringBuilder out = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes()));
            } catch (IOException e) {
                out.append("(output unreadable: ").append(e).append(')');
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join();
            return new Result(-1, "timed out after " + timeoutSeconds + " s\n" + out);
        }
        reader.join();
        return new Result(p.exitValue(), out.toString());
    }

    /** The last lines of a child's output, for a failure message. */
    static String tail(String output, int lines) {
        String[] all = output.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }
}
