package io.piece4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a benchmark table must say about the machine: the processor's model name (as lscpu prints it),
 * the cores the JVM sees, and the instruction-set flags that decide which kernels a reference library
 * should run.
 */
record MachineInfo(String cpuModel, int cores, Set<String> flags) {

    /** Reads /proc/cpuinfo (Linux); elsewhere the model is the os.arch property and no flags are known. */
    static MachineInfo detect() {
        String model = System.getProperty("os.arch");
        Set<String> flags = new TreeSet<>();
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                if (key.equals("model name") && model.equals(System.getProperty("os.arch"))) model = value;
                if (key.equals("flags") && flags.isEmpty()) flags.addAll(Arrays.asList(value.split("\\s+")));
            }
        } catch (IOException e) {
            // not Linux: keep the architecture name and no flags
        }
        return new MachineInfo(model, Runtime.getRuntime().availableProcessors(), flags);
    }

    boolean hasAvx512() {
        return flags.containsAll(List.of("avx512f", "avx512bw", "avx512dq", "avx512vl"));
    }

    /**
     * The OPENBLAS_CORETYPE whose kernels are the fastest this processor runs correctly in Debian's
     * OpenBLAS 0.3.21 (a DYNAMIC_ARCH build): SkylakeX for AVX-512 (F, BW, DQ, VL), Haswell for AVX2 +
     * FMA, else null (let OpenBLAS decide).
     */
    String openBlasCoreType() {
        if (hasAvx512()) return "SkylakeX";
        if (flags.containsAll(List.of("avx2", "fma"))) return "Haswell";
        return null;
    }

    /** One line for a table caption. */
    String describe() {
        String isa = hasAvx512() ? "AVX-512" : flags.contains("avx2") ? "AVX2" : "no AVX2";
        return cpuModel + ", " + cores + (cores == 1 ? " core" : " cores") + " visible, " + isa;
    }
}
