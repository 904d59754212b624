package io.piece4j.backend.opencl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where OpenCL is missing the backend says so instead of failing: in a fresh JVM without the loader
 * library, and with a loader but no driver registered, the provider is unavailable with a reason that
 * names what is missing, and asking for the backend fails with that reason and the backends found.
 */
class OpenClUnavailableTest {
    private record Result(int exitCode, String output) {}

    private static Result child(List<String> jvmFlags, Path vendors) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ProviderStatusMain.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (vendors != null) pb.environment().put("OCL_ICD_VENDORS", vendors.toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        return new Result(p.exitValue(), new String(out));
    }

    @Test
    void withoutTheLoaderLibraryTheBackendIsUnavailableAndSaysWhy() throws Exception {
        Result r = child(List.of("-Dpiece.opencl.library=/nonexistent/libOpenCL.so.1"), null);
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("available=false reason=cannot load the OpenCL library /nonexistent/libOpenCL.so.1"), r.output);
        assertTrue(r.output.contains("create failed: backend 'opencl' is not available here: cannot load the OpenCL library"), r.output);
        assertTrue(r.output.contains("found: [") && r.output.contains("ref"), () -> "the failure should list the backends found:\n" + r.output);
    }

    @Test
    void withALoaderButNoDriverTheBackendIsUnavailableAndSaysWhy(@TempDir Path emptyVendors) throws Exception {
        OpenClBackendProvider here = new OpenClBackendProvider();
        // the loader must exist for this case; where it does not, the test above covers the machine
        org.junit.jupiter.api.Assumptions.assumeTrue(here.isAvailable() || !here.unavailableReason().startsWith("cannot load"),
                "no OpenCL loader library here");
        Result r = child(List.of(), emptyVendors);
        assertEquals(0, r.exitCode, r.output);
        assertTrue(r.output.contains("available=false reason=no OpenCL device found: the ICD loader loaded no working driver (registered: none in "
                + emptyVendors + ")"), r.output);
    }
}
