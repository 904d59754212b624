package io.piece4j.backend.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Typed bindings, through java.lang.foreign, for the OpenCL 1.2 calls the backend needs: platforms,
 * devices, context, queue, buffers, programs with their build logs, kernels and events. Every call that
 * returns an error code throws {@link OpenClException} naming the call and the code.
 *
 * <p>The library is the ICD loader {@code libOpenCL.so.1} (found by the dynamic linker), or the file
 * named by {@code -Dpiece.opencl.library=PATH}; the loader dispatches to the drivers registered in
 * /etc/OpenCL/vendors (or in the folder named by OCL_ICD_VENDORS). Handles (cl_platform_id, cl_mem, ...)
 * are plain addresses. C types: cl_int and cl_uint are 32-bit, cl_ulong, cl_bitfield and size_t 64-bit
 * (64-bit platforms only).
 */
public final class OpenCl {
    // ---------------------------------------------------------------- constants of cl.h (OpenCL 1.2)
    public static final long CL_DEVICE_TYPE_CPU = 1L << 1, CL_DEVICE_TYPE_GPU = 1L << 2, CL_DEVICE_TYPE_ACCELERATOR = 1L << 3,
            CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    static final int CL_PLATFORM_VERSION = 0x0901, CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VENDOR = 0x0903;
    static final int CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002, CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004,
            CL_DEVICE_MAX_CLOCK_FREQUENCY = 0x100C, CL_DEVICE_MAX_MEM_ALLOC_SIZE = 0x1010, CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F,
            CL_DEVICE_LOCAL_MEM_SIZE = 0x1023, CL_DEVICE_NAME = 0x102B, CL_DEVICE_VENDOR = 0x102C, CL_DRIVER_VERSION = 0x102D,
            CL_DEVICE_VERSION = 0x102F, CL_DEVICE_EXTENSIONS = 0x1030, CL_DEVICE_DOUBLE_FP_CONFIG = 0x1032,
            CL_DEVICE_SINGLE_FP_CONFIG = 0x101B;
    static final long CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT = 1L << 7;
    static final long CL_QUEUE_PROFILING_ENABLE = 1L << 1;
    static final long CL_MEM_READ_WRITE = 1L, CL_MEM_READ_ONLY = 1L << 2, CL_MEM_COPY_HOST_PTR = 1L << 5;
    static final int CL_PROGRAM_BUILD_LOG = 0x1183;
    static final int CL_KERNEL_WORK_GROUP_SIZE = 0x11B0;
    static final int CL_PROFILING_COMMAND_START = 0x1282, CL_PROFILING_COMMAND_END = 0x1283;

    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile OpenCl instance;
    private static volatile String loadFailure;

    private final MethodHandle getPlatformIDs, getPlatformInfo, getDeviceIDs, getDeviceInfo, createContext, createCommandQueue,
            createBuffer, enqueueWriteBuffer, enqueueReadBuffer, enqueueCopyBuffer, enqueueFillBuffer, createProgramWithSource,
            buildProgram, getProgramBuildInfo, createKernel, setKernelArg, getKernelWorkGroupInfo, enqueueNDRangeKernel,
            finish, flush, waitForEvents, getEventProfilingInfo, releaseEvent, releaseMemObject, releaseKernel, releaseProgram,
            releaseCommandQueue, releaseContext;

    private OpenCl(SymbolLookup lib) {
        getPlatformIDs = bind(lib, "clGetPlatformIDs", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS);
        getPlatformInfo = bind(lib, "clGetPlatformInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        getDeviceIDs = bind(lib, "clGetDeviceIDs", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
        getDeviceInfo = bind(lib, "clGetDeviceInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        createContext = bind(lib, "clCreateContext", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        createCommandQueue = bind(lib, "clCreateCommandQueue", ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        createBuffer = bind(lib, "clCreateBuffer", ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS);
        enqueueWriteBuffer = bind(lib, "clEnqueueWriteBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS,
                JAVA_INT, ADDRESS, ADDRESS);
        enqueueReadBuffer = bind(lib, "clEnqueueReadBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS,
                JAVA_INT, ADDRESS, ADDRESS);
        enqueueCopyBuffer = bind(lib, "clEnqueueCopyBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_INT, ADDRESS, ADDRESS);
        enqueueFillBuffer = bind(lib, "clEnqueueFillBuffer", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_INT, ADDRESS, ADDRESS);
        createProgramWithSource = bind(lib, "clCreateProgramWithSource", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        buildProgram = bind(lib, "clBuildProgram", JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        getProgramBuildInfo = bind(lib, "clGetProgramBuildInfo", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        createKernel = bind(lib, "clCreateKernel", ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        setKernelArg = bind(lib, "clSetKernelArg", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS);
        getKernelWorkGroupInfo = bind(lib, "clGetKernelWorkGroupInfo", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        enqueueNDRangeKernel = bind(lib, "clEnqueueNDRangeKernel", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                JAVA_INT, ADDRESS, ADDRESS);
        finish = bind(lib, "clFinish", JAVA_INT, ADDRESS);
        flush = bind(lib, "clFlush", JAVA_INT, ADDRESS);
        waitForEvents = bind(lib, "clWaitForEvents", JAVA_INT, JAVA_INT, ADDRESS);
        getEventProfilingInfo = bind(lib, "clGetEventProfilingInfo", JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        releaseEvent = bind(lib, "clReleaseEvent", JAVA_INT, ADDRESS);
        releaseMemObject = bind(lib, "clReleaseMemObject", JAVA_INT, ADDRESS);
        releaseKernel = bind(lib, "clReleaseKernel", JAVA_INT, ADDRESS);
        releaseProgram = bind(lib, "clReleaseProgram", JAVA_INT, ADDRESS);
        releaseCommandQueue = bind(lib, "clReleaseCommandQueue", JAVA_INT, ADDRESS);
        releaseContext = bind(lib, "clReleaseContext", JAVA_INT, ADDRESS);
    }

    private static MethodHandle bind(SymbolLookup lib, String name, MemoryLayout result, MemoryLayout... args) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError("the OpenCL library has no symbol " + name));
        return LINKER.downcallHandle(symbol, FunctionDescriptor.of(result, args));
    }

    /** The library name tried when -Dpiece.opencl.library is not set. */
    static String libraryName() {
        String lib = System.getProperty("piece.opencl.library");
        if (lib != null && !lib.isBlank()) return lib.trim();
        return System.getProperty("os.name", "").startsWith("Mac") ? "/System/Library/Frameworks/OpenCL.framework/OpenCL" : "libOpenCL.so.1";
    }

    /** The bindings, loading the library on first use; throws {@link IllegalStateException} with the reason when it cannot be loaded. */
    public static OpenCl get() {
        OpenCl cl = instance;
        if (cl != null) return cl;
        synchronized (OpenCl.class) {
            if (instance != null) return instance;
            if (loadFailure != null) throw new IllegalStateException(loadFailure);
            String name = libraryName();
            JvmSignalHandlers.save(); // before any driver code runs (see JvmSignalHandlers)
            try {
                instance = new OpenCl(SymbolLookup.libraryLookup(name, Arena.global()));
                return instance;
            } catch (IllegalArgumentException | UnsatisfiedLinkError | IllegalCallerException e) {
                loadFailure = "cannot load the OpenCL library " + name + " (" + e.getMessage() + "); install an OpenCL driver and the"
                        + " ICD loader (Debian/Ubuntu: apt-get install ocl-icd-libopencl1 pocl-opencl-icd) or set -Dpiece.opencl.library";
                throw new IllegalStateException(loadFailure);
            }
        }
    }

    private static void check(int code, String call, String context) {
        if (code != 0) throw new OpenClException(call, code, context);
    }

    private static RuntimeException wrap(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    // ---------------------------------------------------------------- platforms and devices

    public List<MemorySegment> platforms() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(JAVA_INT);
            int code = (int) getPlatformIDs.invokeExact(0, MemorySegment.NULL, count);
            if (code == -1001) return List.of(); // the loader found no driver
            check(code, "clGetPlatformIDs", "count");
            int n = count.get(JAVA_INT, 0);
            if (n == 0) return List.of();
            MemorySegment ids = a.allocate(ADDRESS, n);
            check((int) getPlatformIDs.invokeExact(n, ids, MemorySegment.NULL), "clGetPlatformIDs", "list");
            return addresses(ids, n);
        } catch (Throwable t) { throw wrap(t); }
    }

    public String platformInfo(MemorySegment platform, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check((int) getPlatformInfo.invokeExact(platform, param, 0L, MemorySegment.NULL, size), "clGetPlatformInfo", "0x" + Integer.toHexString(param));
            MemorySegment value = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            check((int) getPlatformInfo.invokeExact(platform, param, value.byteSize(), value, MemorySegment.NULL), "clGetPlatformInfo", "0x" + Integer.toHexString(param));
            return cString(value);
        } catch (Throwable t) { throw wrap(t); }
    }

    public List<MemorySegment> devices(MemorySegment platform, long type) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(JAVA_INT);
            int code = (int) getDeviceIDs.invokeExact(platform, type, 0, MemorySegment.NULL, count);
            if (code == -1) return List.of(); // CL_DEVICE_NOT_FOUND
            check(code, "clGetDeviceIDs", "count");
            int n = count.get(JAVA_INT, 0);
            MemorySegment ids = a.allocate(ADDRESS, Math.max(1, n));
            check((int) getDeviceIDs.invokeExact(platform, type, n, ids, MemorySegment.NULL), "clGetDeviceIDs", "list");
            return addresses(ids, n);
        } catch (Throwable t) { throw wrap(t); }
    }

    private MemorySegment deviceInfo(Arena a, MemorySegment device, int param) throws Throwable {
        MemorySegment size = a.allocate(JAVA_LONG);
        check((int) getDeviceInfo.invokeExact(device, param, 0L, MemorySegment.NULL, size), "clGetDeviceInfo", "0x" + Integer.toHexString(param));
        MemorySegment value = a.allocate(Math.max(8, size.get(JAVA_LONG, 0)));
        check((int) getDeviceInfo.invokeExact(device, param, size.get(JAVA_LONG, 0), value, MemorySegment.NULL), "clGetDeviceInfo",
                "0x" + Integer.toHexString(param));
        return value;
    }

    public String deviceString(MemorySegment device, int param) {
        try (Arena a = Arena.ofConfined()) { return cString(deviceInfo(a, device, param)); } catch (Throwable t) { throw wrap(t); }
    }

    /** A cl_uint device property. */
    public int deviceInt(MemorySegment device, int param) {
        try (Arena a = Arena.ofConfined()) { return deviceInfo(a, device, param).get(JAVA_INT, 0); } catch (Throwable t) { throw wrap(t); }
    }

    /** A cl_ulong, cl_bitfield or size_t device property. */
    public long deviceLong(MemorySegment device, int param) {
        try (Arena a = Arena.ofConfined()) { return deviceInfo(a, device, param).get(JAVA_LONG, 0); } catch (Throwable t) { throw wrap(t); }
    }

    // ---------------------------------------------------------------- context and queue

    public MemorySegment createContext(MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, device);
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment ctx = (MemorySegment) createContext.invokeExact(MemorySegment.NULL, 1, devs, MemorySegment.NULL, MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateContext", null);
            return ctx;
        } catch (Throwable t) { throw wrap(t); }
    }

    /** An in-order queue; with profiling, events carry start and end times. */
    public MemorySegment createQueue(MemorySegment context, MemorySegment device, boolean profiling) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment q = (MemorySegment) createCommandQueue.invokeExact(context, device, profiling ? CL_QUEUE_PROFILING_ENABLE : 0L, err);
            check(err.get(JAVA_INT, 0), "clCreateCommandQueue", null);
            return q;
        } catch (Throwable t) { throw wrap(t); }
    }

    // ---------------------------------------------------------------- buffers

    /** A device buffer; with CL_MEM_COPY_HOST_PTR its contents are copied from hostData during the call. */
    public MemorySegment createBuffer(MemorySegment context, long flags, long bytes, MemorySegment hostData) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment mem = (MemorySegment) createBuffer.invokeExact(context, flags, bytes, hostData, err);
            check(err.get(JAVA_INT, 0), "clCreateBuffer", bytes + " bytes");
            return mem;
        } catch (Throwable t) { throw wrap(t); }
    }

    public void write(MemorySegment queue, MemorySegment mem, boolean blocking, long offset, long bytes, MemorySegment src) {
        try {
            check((int) enqueueWriteBuffer.invokeExact(queue, mem, blocking ? 1 : 0, offset, bytes, src, 0, MemorySegment.NULL, MemorySegment.NULL),
                    "clEnqueueWriteBuffer", bytes + " bytes at " + offset);
        } catch (Throwable t) { throw wrap(t); }
    }

    public void read(MemorySegment queue, MemorySegment mem, boolean blocking, long offset, long bytes, MemorySegment dst) {
        try {
            check((int) enqueueReadBuffer.invokeExact(queue, mem, blocking ? 1 : 0, offset, bytes, dst, 0, MemorySegment.NULL, MemorySegment.NULL),
                    "clEnqueueReadBuffer", bytes + " bytes at " + offset);
        } catch (Throwable t) { throw wrap(t); }
    }

    public void copy(MemorySegment queue, MemorySegment src, MemorySegment dst, long srcOffset, long dstOffset, long bytes) {
        try {
            check((int) enqueueCopyBuffer.invokeExact(queue, src, dst, srcOffset, dstOffset, bytes, 0, MemorySegment.NULL, MemorySegment.NULL),
                    "clEnqueueCopyBuffer", bytes + " bytes");
        } catch (Throwable t) { throw wrap(t); }
    }

    /** Fills bytes at offset with a repeated pattern (pattern.byteSize() bytes, which must divide offset and bytes). */
    public void fill(MemorySegment queue, MemorySegment mem, MemorySegment pattern, long offset, long bytes) {
        try {
            check((int) enqueueFillBuffer.invokeExact(queue, mem, pattern, pattern.byteSize(), offset, bytes, 0, MemorySegment.NULL, MemorySegment.NULL),
                    "clEnqueueFillBuffer", bytes + " bytes at " + offset);
        } catch (Throwable t) { throw wrap(t); }
    }

    // ---------------------------------------------------------------- programs and kernels

    public MemorySegment createProgram(MemorySegment context, String source) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment text = a.allocateFrom(source, StandardCharsets.UTF_8);
            MemorySegment strings = a.allocate(ADDRESS);
            strings.set(ADDRESS, 0, text);
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment program = (MemorySegment) createProgramWithSource.invokeExact(context, 1, strings, MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateProgramWithSource", null);
            return program;
        } catch (Throwable t) { throw wrap(t); }
    }

    /** Builds for one device; a failed build throws with the compiler's log in the message. */
    public void buildProgram(MemorySegment program, MemorySegment device, String options) {
        int code;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, device);
            code = (int) buildProgram.invokeExact(program, 1, devs, a.allocateFrom(options, StandardCharsets.UTF_8), MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw wrap(t);
        } finally {
            JvmSignalHandlers.restore(); // the driver's compiler may have put its own handlers in
        }
        if (code != 0) {
            OpenClException e = new OpenClException("clBuildProgram", code, "options '" + options + "'");
            throw new IllegalStateException(e.getMessage() + "; build log:\n" + buildLog(program, device), e);
        }
    }

    public String buildLog(MemorySegment program, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check((int) getProgramBuildInfo.invokeExact(program, device, CL_PROGRAM_BUILD_LOG, 0L, MemorySegment.NULL, size), "clGetProgramBuildInfo", "log size");
            MemorySegment log = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            check((int) getProgramBuildInfo.invokeExact(program, device, CL_PROGRAM_BUILD_LOG, log.byteSize(), log, MemorySegment.NULL), "clGetProgramBuildInfo", "log");
            return cString(log);
        } catch (Throwable t) { throw wrap(t); }
    }

    public MemorySegment createKernel(MemorySegment program, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment k = (MemorySegment) createKernel.invokeExact(program, a.allocateFrom(name, StandardCharsets.UTF_8), err);
            check(err.get(JAVA_INT, 0), "clCreateKernel", name);
            return k;
        } catch (Throwable t) { throw wrap(t); }
    }

    /** The largest work-group this kernel can run with on the device. */
    public long kernelWorkGroupSize(MemorySegment kernel, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check((int) getKernelWorkGroupInfo.invokeExact(kernel, device, CL_KERNEL_WORK_GROUP_SIZE, 8L, v, MemorySegment.NULL),
                    "clGetKernelWorkGroupInfo", "work-group size");
            return v.get(JAVA_LONG, 0);
        } catch (Throwable t) { throw wrap(t); }
    }

    /** Sets argument index to the bytes at value (size bytes), or to size bytes of local memory when value is NULL. */
    public void setArg(MemorySegment kernel, int index, long size, MemorySegment value, String kernelName) {
        try {
            int code = (int) setKernelArg.invokeExact(kernel, index, size, value);
            if (code != 0) check(code, "clSetKernelArg", kernelName + " argument " + index);
        } catch (Throwable t) { throw wrap(t); }
    }

    /**
     * Enqueues a kernel over dims dimensions; global and local hold dims size_t values each (local may be
     * NULL: the driver chooses). event is NULL or a slot that receives the command's event.
     */
    public void enqueueKernel(MemorySegment queue, MemorySegment kernel, int dims, MemorySegment global, MemorySegment local,
                              MemorySegment event, String kernelName) {
        try {
            int code = (int) enqueueNDRangeKernel.invokeExact(queue, kernel, dims, MemorySegment.NULL, global, local, 0, MemorySegment.NULL, event);
            if (code != 0) check(code, "clEnqueueNDRangeKernel", kernelName);
        } catch (Throwable t) { throw wrap(t); }
    }

    public void finish(MemorySegment queue) {
        try { check((int) finish.invokeExact(queue), "clFinish", null); } catch (Throwable t) { throw wrap(t); }
    }

    public void flush(MemorySegment queue) {
        try { check((int) flush.invokeExact(queue), "clFlush", null); } catch (Throwable t) { throw wrap(t); }
    }

    // ---------------------------------------------------------------- events

    public void waitFor(MemorySegment event) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = a.allocate(ADDRESS);
            list.set(ADDRESS, 0, event);
            check((int) waitForEvents.invokeExact(1, list), "clWaitForEvents", null);
        } catch (Throwable t) { throw wrap(t); }
    }

    /** Nanoseconds from the command's start to its end (the queue must have profiling enabled). */
    public long eventNanos(MemorySegment event) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check((int) getEventProfilingInfo.invokeExact(event, CL_PROFILING_COMMAND_START, 8L, v, MemorySegment.NULL), "clGetEventProfilingInfo", "start");
            long start = v.get(JAVA_LONG, 0);
            check((int) getEventProfilingInfo.invokeExact(event, CL_PROFILING_COMMAND_END, 8L, v, MemorySegment.NULL), "clGetEventProfilingInfo", "end");
            return v.get(JAVA_LONG, 0) - start;
        } catch (Throwable t) { throw wrap(t); }
    }

    // ---------------------------------------------------------------- releases (errors here are reported, not thrown, by callers that clean up)

    public int releaseEvent(MemorySegment h) { return release(releaseEvent, h); }
    public int releaseMem(MemorySegment h) { return release(releaseMemObject, h); }
    public int releaseKernel(MemorySegment h) { return release(releaseKernel, h); }
    public int releaseProgram(MemorySegment h) { return release(releaseProgram, h); }
    public int releaseQueue(MemorySegment h) { return release(releaseCommandQueue, h); }
    public int releaseContext(MemorySegment h) { return release(releaseContext, h); }

    private static int release(MethodHandle h, MemorySegment handle) {
        try { return (int) h.invokeExact(handle); } catch (Throwable t) { throw wrap(t); }
    }

    // ---------------------------------------------------------------- helpers

    private static List<MemorySegment> addresses(MemorySegment array, int n) {
        List<MemorySegment> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(array.getAtIndex(ADDRESS, i));
        return out;
    }

    private static String cString(MemorySegment s) {
        long n = 0;
        while (n < s.byteSize() && s.get(ValueLayout.JAVA_BYTE, n) != 0) n++;
        return new String(s.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8).trim();
    }
}
