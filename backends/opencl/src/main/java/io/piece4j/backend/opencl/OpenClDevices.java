package io.piece4j.backend.opencl;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The OpenCL platforms and devices of this machine, and the one the backend uses: device N of
 * {@code -Dpiece.opencl.device=N} (or PIECE_OPENCL_DEVICE), else the first GPU, else the first device.
 * Enumerated once per JVM.
 */
public final class OpenClDevices {
    private OpenClDevices() {}

    private static volatile List<OpenClDevice> cached;

    /** Every device of every platform, numbered in order; empty when a loader is present but no driver is registered. */
    public static List<OpenClDevice> all() {
        List<OpenClDevice> list = cached;
        if (list != null) return list;
        synchronized (OpenClDevices.class) {
            if (cached != null) return cached;
            OpenCl cl = OpenCl.get();
            try {
                cached = enumerate(cl);
            } finally {
                JvmSignalHandlers.restore(); // the drivers set themselves up in clGetPlatformIDs (see JvmSignalHandlers)
            }
            return cached;
        }
    }

    private static List<OpenClDevice> enumerate(OpenCl cl) {
        List<OpenClDevice> out = new ArrayList<>();
        for (MemorySegment p : cl.platforms()) {
            String pName = cl.platformInfo(p, OpenCl.CL_PLATFORM_NAME), pVersion = cl.platformInfo(p, OpenCl.CL_PLATFORM_VERSION);
            for (MemorySegment d : cl.devices(p, OpenCl.CL_DEVICE_TYPE_ALL)) {
                String ext = cl.deviceString(d, OpenCl.CL_DEVICE_EXTENSIONS);
                long fp32 = cl.deviceLong(d, OpenCl.CL_DEVICE_SINGLE_FP_CONFIG);
                out.add(new OpenClDevice(out.size(), pName, pVersion, cl.deviceString(d, OpenCl.CL_DEVICE_NAME),
                        cl.deviceString(d, OpenCl.CL_DEVICE_VENDOR), cl.deviceString(d, OpenCl.CL_DEVICE_VERSION),
                        cl.deviceString(d, OpenCl.CL_DRIVER_VERSION), cl.deviceLong(d, OpenCl.CL_DEVICE_TYPE),
                        cl.deviceInt(d, OpenCl.CL_DEVICE_MAX_COMPUTE_UNITS), cl.deviceInt(d, OpenCl.CL_DEVICE_MAX_CLOCK_FREQUENCY),
                        cl.deviceLong(d, OpenCl.CL_DEVICE_GLOBAL_MEM_SIZE), cl.deviceLong(d, OpenCl.CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                        cl.deviceLong(d, OpenCl.CL_DEVICE_LOCAL_MEM_SIZE), cl.deviceLong(d, OpenCl.CL_DEVICE_MAX_WORK_GROUP_SIZE),
                        ext.contains("cl_khr_fp64"), (fp32 & OpenCl.CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0, p, d));
            }
        }
        return List.copyOf(out);
    }

    /** The device index asked for by -Dpiece.opencl.device or PIECE_OPENCL_DEVICE, or -1. */
    static int requestedIndex() {
        String s = System.getProperty("piece.opencl.device");
        if (s == null || s.isBlank()) s = System.getenv("PIECE_OPENCL_DEVICE");
        if (s == null || s.isBlank()) return -1;
        try {
            int i = Integer.parseInt(s.trim());
            if (i < 0) throw new NumberFormatException();
            return i;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("piece.opencl.device must be a device number from 'piece devices' (0, 1, ...), got '" + s + "'");
        }
    }

    /** The device the backend runs on. */
    public static OpenClDevice selected() {
        List<OpenClDevice> all = all();
        if (all.isEmpty()) throw new IllegalStateException("no OpenCL device found: the ICD loader loaded no working driver (registered: "
                + registeredDrivers() + ")");
        int want = requestedIndex();
        if (want >= 0) {
            if (want >= all.size()) {
                throw new IllegalArgumentException("piece.opencl.device=" + want + " but there are " + all.size() + " OpenCL devices: "
                        + all.stream().map(OpenClDevice::summary).toList());
            }
            return all.get(want);
        }
        for (OpenClDevice d : all) if (d.isGpu()) return d;
        return all.get(0);
    }

    /** The ICD files the loader reads (OCL_ICD_VENDORS, else /etc/OpenCL/vendors), for messages. */
    static String registeredDrivers() {
        String env = System.getenv("OCL_ICD_VENDORS");
        java.nio.file.Path dir = java.nio.file.Path.of(env != null && !env.isBlank() ? env : "/etc/OpenCL/vendors");
        if (java.nio.file.Files.isRegularFile(dir)) return dir.toString();
        try (var files = java.nio.file.Files.list(dir)) {
            List<String> icds = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".icd")).sorted().toList();
            return (icds.isEmpty() ? "none" : String.join(", ", icds)) + " in " + dir;
        } catch (java.io.IOException e) {
            return "none (" + dir + " cannot be read)";
        }
    }

    /** What `piece devices` prints: every platform and device, and which one the backend selects. */
    public static String describe() {
        StringBuilder sb = new StringBuilder();
        List<OpenClDevice> all;
        try {
            all = all();
        } catch (IllegalStateException | OpenClException e) {
            return "OpenCL: " + e.getMessage() + "\n";
        }
        sb.append("OpenCL library: ").append(OpenCl.libraryName()).append("; drivers registered: ").append(registeredDrivers()).append('\n');
        if (all.isEmpty()) return sb.append("no OpenCL platform found: the ICD loader loaded no working driver\n").toString();
        String platform = null;
        for (OpenClDevice d : all) {
            if (!d.platformName().equals(platform)) {
                platform = d.platformName();
                sb.append("platform ").append(platform).append(" (").append(d.platformVersion()).append(")\n");
            }
            sb.append("  device ").append(d.summary()).append("; driver ").append(d.driverVersion()).append('\n');
        }
        try {
            sb.append("selected: device ").append(selected().index()).append(" (choose with -Dpiece.opencl.device=N or PIECE_OPENCL_DEVICE=N)\n");
        } catch (IllegalArgumentException e) {
            sb.append("selected: none: ").append(e.getMessage()).append('\n');
        }
        return sb.toString();
    }
}
