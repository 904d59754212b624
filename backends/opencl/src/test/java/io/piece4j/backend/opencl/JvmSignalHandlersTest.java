package io.piece4j.backend.opencl;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * After the OpenCL driver is set up and the backend's program is built, every signal the JVM relies on has the
 * handler it had before (the JVM's own for SIGSEGV above all: see {@link JvmSignalHandlers}). Each case runs in a
 * fresh JVM, since a driver sets itself up once per process; the second case shows, with PoCL, that the driver does
 * replace the JVM's SIGSEGV handler when nothing puts it back.
 */
class JvmSignalHandlersTest {
    private static String child(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), SignalHandlersMain.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static void assumeOpenClOnLinux() {
        assumeTrue(System.getProperty("os.name", "").equals("Linux"), "reads /proc/self/maps");
        OpenClBackendProvider provider = new OpenClBackendProvider();
        assumeTrue(provider.isAvailable(), () -> "no OpenCL device: " + provider.unavailableReason());
    }

    @Test
    void theJvmKeepsItsSignalHandlersAfterTheDriverIsSetUpAndAProgramBuilt() throws Exception {
        assumeOpenClOnLinux();
        String out = child();
        for (int s : SignalHandlersMain.SIGNALS) {
            assertTrue(out.contains("signal " + s + " kept "), "signal " + s + " should keep its handler:\n" + out);
        }
        assertTrue(out.contains("signal 11 kept libjvm.so -> libjvm.so"), "the JVM handles SIGSEGV:\n" + out);
    }

    @Test
    void withPoclTheDriverReplacesTheJvmsSegvHandlerWhenNothingPutsItBack() throws Exception {
        assumeOpenClOnLinux();
        assumeTrue(OpenClDevices.selected().platformName().contains("Portable Computing Language"), "the driver is not PoCL");
        String out = child("no-restore");
        assertTrue(out.contains("signal 11 changed libjvm.so -> "), "PoCL (LLVM) was expected to install its own SIGSEGV handler:\n" + out);
    }
}
