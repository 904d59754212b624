package io.piece4j.backend.opencl;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A context on one device and the kernel program built for it, shared by every backend instance on that
 * device in this JVM (building is the slow part of the first call: seconds on a CPU driver). The program
 * is the kernel sources of resources/.../kernels, concatenated in the order of kernels/index.txt, built
 * with the device profile's options. Never released: it lives as long as the JVM.
 */
final class OpenClProgram {
    private static final String KERNELS = "/io/piece4j/backend/opencl/kernels/";
    private static final Map<String, OpenClProgram> BUILT = new HashMap<>();

    final OpenClDevice device;
    final DeviceProfile profile;
    final MemorySegment context, program;
    final String options;
    /** Seconds spent in clBuildProgram when this program was made (the one-off cost of the first call). */
    final double buildSeconds;

    private OpenClProgram(OpenClDevice device, DeviceProfile profile) {
        OpenCl cl = OpenCl.get();
        this.device = device;
        this.profile = profile;
        this.context = cl.createContext(device.id());
        this.program = cl.createProgram(context, source());
        String opts = "-cl-std=CL1.2 " + profile.buildOptions();
        if (device.fp64()) opts += " -DPIECE_FP64";
        // IEEE division and square root where the device offers them, so AdamW and the norms round as the CPU does
        if (device.correctlyRoundedDivideSqrt()) opts += " -cl-fp32-correctly-rounded-divide-sqrt";
        this.options = opts;
        long t0 = System.nanoTime();
        cl.buildProgram(program, device.id(), options);
        this.buildSeconds = (System.nanoTime() - t0) / 1e9;
    }

    /** The program for the device and profile, built on first use. */
    static synchronized OpenClProgram on(OpenClDevice device, DeviceProfile profile) {
        return BUILT.computeIfAbsent(device.index() + "/" + profile, k -> new OpenClProgram(device, profile));
    }

    /** The kernel sources in index order, each preceded by a #line marker naming its file for compiler messages. */
    static String source() {
        StringBuilder sb = new StringBuilder();
        for (String line : resource("index.txt").split("\n")) {
            String name = line.trim();
            if (name.isEmpty() || name.startsWith("#")) continue;
            sb.append("#line 1 \"").append(name).append("\"\n");
            sb.append(resource(name)).append('\n');
        }
        return sb.toString();
    }

    private static String resource(String name) {
        try (InputStream in = OpenClProgram.class.getResourceAsStream(KERNELS + name)) {
            if (in == null) throw new IllegalStateException("kernel source " + KERNELS + name + " is missing from the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
