package io.piece4j.backend.opencl;

import java.lang.foreign.MemorySegment;

/**
 * One OpenCL device as the driver describes it. {@code index} numbers the devices of all platforms in
 * the order {@code piece devices} lists them; {@code -Dpiece.opencl.device=N} picks device N.
 */
public record OpenClDevice(int index, String platformName, String platformVersion, String name, String vendor,
                           String deviceVersion, String driverVersion, long type, int computeUnits, int clockMhz,
                           long globalMemBytes, long maxAllocBytes, long localMemBytes, long maxWorkGroupSize,
                           boolean fp64, boolean correctlyRoundedDivideSqrt,
                           MemorySegment platform, MemorySegment id) {

    public boolean isGpu() { return (type & OpenCl.CL_DEVICE_TYPE_GPU) != 0; }

    public boolean isCpu() { return (type & OpenCl.CL_DEVICE_TYPE_CPU) != 0; }

    public String typeName() {
        if (isGpu()) return "GPU";
        if (isCpu()) return "CPU";
        if ((type & OpenCl.CL_DEVICE_TYPE_ACCELERATOR) != 0) return "accelerator";
        return "other";
    }

    /** One line: index, type, name, platform, memory, compute units. */
    public String summary() {
        return String.format("%d: %s %s (%s; %s; %d compute units, %d MHz, %.1f GiB global, %d KiB local, work-group <= %d%s)",
                index, typeName(), name, platformName, deviceVersion, computeUnits, clockMhz, globalMemBytes / (double) (1L << 30),
                localMemBytes >> 10, maxWorkGroupSize, fp64 ? ", fp64" : "");
    }
}
