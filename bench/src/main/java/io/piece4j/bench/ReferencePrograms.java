package io.piece4j.bench;

import io.piece4j.nn.json.JsonReadException;
import io.piece4j.nn.json.JsonReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The reference programs of `piece bench compare` (committed next to this class as resources: small C
 * programs and a PyTorch script), copied into a cache folder, built there with the system's gcc when
 * their source changed, and run with the environment each needs. Every program prints JSON lines;
 * a program that cannot be built or run is reported with the reason, never silently skipped.
 */
final class ReferencePrograms {
    /** A reference's result: the JSON lines it printed, or why there are none. */
    record Outcome(List<Map<String, Object>> lines, String missing, String command) {
        boolean ran() { return missing == null; }

        static Outcome missing(String why, String command) { return new Outcome(List.of(), why, command); }
    }

    private final Path cache;
    private final boolean mayInstall;

    /** @param mayInstall install missing Debian packages with apt-get (only tried as root) */
    ReferencePrograms(Path cache, boolean mayInstall) {
        this.cache = cache;
        this.mayInstall = mayInstall;
    }

    /** $XDG_CACHE_HOME/piece4j/bench-reference, else ~/.cache/piece4j/bench-reference. */
    static Path defaultCache() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("piece4j").resolve("bench-reference");
    }

    Path cache() { return cache; }

    /** The committed source `name` written into the cache (rewritten only when it differs). */
    Path source(String name) throws IOException {
        byte[] bytes;
        try (InputStream in = ReferencePrograms.class.getResourceAsStream("reference/" + name)) {
            if (in == null) throw new IOException("reference program " + name + " is missing from the piece4j-bench jar");
            bytes = in.readAllBytes();
        }
        Files.createDirectories(cache);
        Path file = cache.resolve(name);
        if (!Files.exists(file) || !Arrays.equals(Files.readAllBytes(file), bytes)) {
            Path tmp = Files.createTempFile(cache, name, ".tmp");
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return file;
    }

    /**
     * The binary built from source.c with gcc and the given flags (rebuilt when the source is newer),
     * or an IOException whose message says why it could not be built.
     */
    Path build(String sourceName, List<String> flags) throws IOException, InterruptedException {
        Path src = source(sourceName);
        Path bin = cache.resolve(sourceName.replace(".c", ""));
        if (Files.isExecutable(bin) && Files.getLastModifiedTime(bin).compareTo(Files.getLastModifiedTime(src)) >= 0) return bin;
        if (!onPath("gcc")) throw new IOException("gcc not found (Debian: apt-get install gcc)");
        List<String> cmd = new ArrayList<>(List.of("gcc"));
        cmd.addAll(flags.subList(0, flags.indexOf("--")));
        cmd.addAll(List.of(src.toString(), "-o", bin.toString()));
        cmd.addAll(flags.subList(flags.indexOf("--") + 1, flags.size()));
        Run r = run(cmd, Map.of(), 300);
        if (r.exit != 0) throw new IOException("gcc failed: " + firstLines(r.stderr, 3));
        return bin;
    }

    /** Runs a reference and collects the JSON lines it prints on stdout. */
    Outcome runJson(List<String> cmd, Map<String, String> env, int timeoutSeconds) {
        String shown = describe(cmd, env);
        try {
            Run r = run(cmd, env, timeoutSeconds);
            if (r.exit != 0) return Outcome.missing("exited with " + r.exit + ": " + firstLines(r.stderr, 3), shown);
            List<Map<String, Object>> lines = new ArrayList<>();
            for (String line : r.stdout.split("\n")) {
                if (!line.startsWith("{")) continue;
                try {
                    if (JsonReader.parse(line) instanceof Map<?, ?> m) {
                        @SuppressWarnings("unchecked") Map<String, Object> fields = (Map<String, Object>) m;
                        lines.add(fields);
                    }
                } catch (JsonReadException e) {
                    return Outcome.missing("printed a line that is not JSON (" + e.detail() + "): " + line, shown);
                }
            }
            if (lines.isEmpty()) return Outcome.missing("printed no result line", shown);
            return new Outcome(lines, null, shown);
        } catch (IOException e) {
            return Outcome.missing(e.getMessage(), shown);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.missing("interrupted", shown);
        }
    }

    /**
     * Makes sure a check passes, installing the Debian packages when it does not, we are root, apt-get
     * is there and installing was allowed. Returns null when the check passes, else why not.
     */
    String ensure(String what, List<String> debianPackages, Check check) throws InterruptedException {
        String why = check.failure();
        if (why == null) return null;
        if (!mayInstall) return why + " (installing was turned off: --no-install)";
        if (!isRoot() || !onPath("apt-get")) return why + " (install " + String.join(" ", debianPackages) + " to add it)";
        System.err.println("bench compare: installing " + String.join(" ", debianPackages) + " for " + what + " ...");
        try {
            List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-q"));
            install.addAll(debianPackages);
            Run r = run(install, Map.of("DEBIAN_FRONTEND", "noninteractive"), 1800);
            if (r.exit != 0) { // the package lists may be missing or stale
                run(List.of("apt-get", "update", "-q"), Map.of(), 600);
                r = run(install, Map.of("DEBIAN_FRONTEND", "noninteractive"), 1800);
            }
            if (r.exit != 0) return why + "; apt-get install " + String.join(" ", debianPackages) + " failed: " + firstLines(r.stderr, 2);
        } catch (IOException e) {
            return why + "; apt-get could not run: " + e.getMessage();
        }
        String after = check.failure();
        return after == null ? null : after + " (even after installing " + String.join(" ", debianPackages) + ")";
    }

    /** A condition to check: null when it holds, else why not. */
    interface Check { String failure() throws InterruptedException; }

    // ---------------------------------------------------------------- processes

    record Run(int exit, String stdout, String stderr) {}

    /** Runs cmd with env added to (or, for a null value, removed from) this process's environment. */
    static Run run(List<String> cmd, Map<String, String> env, int timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        for (var e : env.entrySet()) {
            if (e.getValue() == null) pb.environment().remove(e.getKey());
            else pb.environment().put(e.getKey(), e.getValue());
        }
        Path out = Files.createTempFile("piece-ref", ".out"), err = Files.createTempFile("piece-ref", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
                throw new IOException("did not finish in " + timeoutSeconds + " s");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), new String(Files.readAllBytes(err), StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(":")) if (Files.isExecutable(Path.of(dir, program))) return true;
        return false;
    }

    static boolean isRoot() {
        try {
            Run r = run(List.of("id", "-u"), Map.of(), 10);
            return r.exit == 0 && r.stdout.trim().equals("0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String firstLines(String text, int n) {
        String[] lines = text.strip().split("\n");
        return String.join(" | ", Arrays.copyOf(lines, Math.min(n, lines.length))).strip();
    }

    /** The command as one line, with the environment changes in front (unset ones as -u NAME). */
    static String describe(List<String> cmd, Map<String, String> env) {
        StringBuilder sb = new StringBuilder();
        env.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                sb.append(e.getValue() == null ? "-u " + e.getKey() : e.getKey() + "=" + e.getValue()).append(' '));
        return sb.append(String.join(" ", cmd)).toString();
    }
}
