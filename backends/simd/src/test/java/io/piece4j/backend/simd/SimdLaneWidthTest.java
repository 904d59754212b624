package io.piece4j.backend.simd;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernels must be right whatever the vector width: every kernel test of the module runs again in a
 * JVM forced to 4 lanes (128 bits) and one forced to 8 lanes (256 bits), besides the machine's own width
 * in this JVM. Also, without the Vector API the provider says how to get it.
 */
class SimdLaneWidthTest {
    private static final long TIMEOUT_SECONDS = 300;

    @Test
    void kernelTestsPassWithFourAndEightLanes() {
        List<Integer> widths = List.of(128, 256);
        // both children at once: the machine has two cores and each child is mostly one thread
        var runs = widths.stream().map(bits -> CompletableFuture.supplyAsync(() -> {
            try {
                return ChildJvm.run(List.of("-Xss8m", "-XX:+UseParallelGC", "--add-modules=jdk.incubator.vector",
                        "-D" + SimdSpecies.PROPERTY + "=" + bits), KernelSuiteMain.class.getName(), TIMEOUT_SECONDS);
            } catch (Exception e) {
                return new ChildJvm.Result(-1, "could not run the child JVM: " + e);
            }
        })).toList();
        for (int i = 0; i < widths.size(); i++) {
            ChildJvm.Result r = runs.get(i).join();
            int lanes = widths.get(i) / 32;
            assertEquals(0, r.exitCode(), "kernel tests with " + lanes + " lanes failed:\n" + ChildJvm.tail(r.output(), 40));
            assertTrue(r.output().contains("lanes " + lanes + ":"), "the child did not run with " + lanes + " lanes:\n"
                    + ChildJvm.tail(r.output(), 40));
        }
    }

    @Test
    void providerExplainsHowToEnableTheVectorApiWhenItIsMissing() throws Exception {
        ChildJvm.Result r = ChildJvm.run(List.of(), ProviderStatusMain.class.getName(), 60);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("available=false"), "the provider claims to be available without the Vector API:\n" + r.output());
        assertTrue(r.output().contains("start the JVM with --add-modules jdk.incubator.vector"), r.output());
    }
}
