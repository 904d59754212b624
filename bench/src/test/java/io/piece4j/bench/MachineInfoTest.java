package io.piece4j.bench;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which OpenBLAS kernels the references are given, and that only their commands get those settings. */
class MachineInfoTest {
    @Test
    void avx512ProcessorsGetSkylakeXKernelsAvx2OnesHaswellOthersNoChoice() {
        assertEquals("SkylakeX", new MachineInfo("x", 2, Set.of("avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl")).openBlasCoreType());
        assertEquals("Haswell", new MachineInfo("x", 2, Set.of("avx2", "fma", "avx512f")).openBlasCoreType(),
                "AVX-512 F alone is not enough for OpenBLAS's SkylakeX kernels");
        assertNull(new MachineInfo("x", 2, Set.of("sse4_2")).openBlasCoreType());
    }

    @Test
    void theReferenceEnvironmentSetsTheCoreTypeAndThreadsAndRemovesTheL2Override() {
        MachineInfo avx512 = new MachineInfo("x", 2, Set.of("avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"));
        Map<String, String> env = CompareBench.referenceEnvironment(avx512, 2);
        assertEquals("SkylakeX", env.get("OPENBLAS_CORETYPE"));
        assertEquals("2", env.get("OMP_NUM_THREADS"));
        assertEquals("2", env.get("OPENBLAS_NUM_THREADS"));
        assertTrue(env.containsKey("OPENBLAS_L2_SIZE") && env.get("OPENBLAS_L2_SIZE") == null, "OPENBLAS_L2_SIZE is removed, not set");
        assertEquals("OMP_NUM_THREADS=2 OPENBLAS_CORETYPE=SkylakeX -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 prog",
                ReferencePrograms.describe(java.util.List.of("prog"), env));
    }

    @Test
    void thisMachineIsDescribedByItsProcessorModel() {
        MachineInfo here = MachineInfo.detect();
        assertFalse(here.cpuModel().isBlank());
        assertEquals(Runtime.getRuntime().availableProcessors(), here.cores());
        assertTrue(here.describe().startsWith(here.cpuModel() + ", "), here.describe());
    }
}
