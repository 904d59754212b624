package io.piece4j.tests;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher runs Maven for `./piece build` and `./piece test`; on a plain terminal or in a log its output
 * must hold no ANSI escape codes (Maven 3.8 wrote bare ESC[0m resets even in batch mode without colour).
 * `./piece mvn ARGS` goes through the same Maven call, so a quick `validate` shows what the build prints.
 */
class LauncherOutputTest {
    /** The repository root: the tests module's parent, where the launcher lives. */
    private static Path root() {
        Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        return Files.isRegularFile(here.resolve("piece")) ? here : here.getParent();
    }

    private static String launcher(String... mavenArgs) throws Exception {
        Path log = Files.createTempFile("launcher", ".log");
        String[] cmd = new String[mavenArgs.length + 3];
        cmd[0] = "bash";
        cmd[1] = root().resolve("piece").toString();
        cmd[2] = "mvn";
        System.arraycopy(mavenArgs, 0, cmd, 3, mavenArgs.length);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("TERM", "xterm-256color"); // a terminal that could show colour: the launcher must still not send any
        Process p = pb.start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("./piece mvn did not finish in 180 s");
        }
        String out = Files.readString(log, StandardCharsets.ISO_8859_1);
        assertEquals(0, p.exitValue(), "./piece mvn " + String.join(" ", mavenArgs) + " failed:\n" + out);
        return out;
    }

    private static void assertNoEscapes(String out, String what) {
        int esc = out.indexOf('\u001b');
        assertTrue(esc < 0, what + " printed an escape code at offset " + esc + ": "
                + (esc < 0 ? "" : out.substring(esc, Math.min(out.length(), esc + 12)).replace("\u001b", "ESC")));
    }

    @Test
    void quietMavenRunThroughTheLauncherPrintsNoColourCodes() throws Exception {
        assertNoEscapes(launcher("-q", "validate"), "./piece mvn -q validate");
    }

    @Test
    void mavenLogThroughTheLauncherIsPlainTextAndStillComplete() throws Exception {
        String out = launcher("validate");
        assertNoEscapes(out, "./piece mvn validate");
        assertTrue(out.contains("[INFO] BUILD SUCCESS"), "Maven's own lines still come through:\n" + out);
    }
}
