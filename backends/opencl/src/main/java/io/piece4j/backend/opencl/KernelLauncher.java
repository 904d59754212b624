package io.piece4j.backend.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Sets a kernel's arguments in order and enqueues it: {@code launcher.kernel("softmax").buffer(x).i(cols).run(...)}.
 * Argument values pass through one small native scratch area (clSetKernelArg copies them), so a launch
 * allocates nothing. With timing on, every launch keeps its event and {@link #times()} adds up the device
 * time per kernel. Not thread-safe: the backend serialises calls.
 */
final class KernelLauncher implements AutoCloseable {
    private final OpenCl cl;
    private final MemorySegment queue;
    private final Map<String, MemorySegment> kernels = new HashMap<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment value = arena.allocate(16, 8);
    private final MemorySegment global = arena.allocate(JAVA_LONG, 3), local = arena.allocate(JAVA_LONG, 3);
    private final MemorySegment eventSlot = arena.allocate(ADDRESS);
    private final boolean timing;
    private final List<Object[]> pending = new ArrayList<>(); // {name, event}
    private final Map<String, long[]> times = new LinkedHashMap<>(); // name -> {launches, nanos}

    private MemorySegment kernel;
    private String name;
    private int index;
    private long launches;

    KernelLauncher(OpenCl cl, MemorySegment program, MemorySegment queue, List<String> names, boolean timing) {
        this.cl = cl;
        this.queue = queue;
        this.timing = timing;
        for (String n : names) kernels.put(n, cl.createKernel(program, n));
    }

    /** Starts a launch of the named kernel; arguments follow in declaration order. */
    KernelLauncher kernel(String kernelName) {
        kernel = kernels.get(kernelName);
        if (kernel == null) throw new IllegalArgumentException("no kernel " + kernelName);
        name = kernelName;
        index = 0;
        return this;
    }

    /** A buffer argument (NULL when s is null). */
    KernelLauncher buffer(OpenClStorage s) {
        return mem(s == null ? MemorySegment.NULL : s.mem());
    }

    /** A buffer argument given by its cl_mem handle (NULL allowed). */
    KernelLauncher mem(MemorySegment handle) {
        value.set(ADDRESS, 0, handle);
        cl.setArg(kernel, index++, ADDRESS.byteSize(), value, name);
        return this;
    }

    KernelLauncher i(int v) {
        value.set(JAVA_INT, 0, v);
        cl.setArg(kernel, index++, 4, value, name);
        return this;
    }

    KernelLauncher l(long v) {
        value.set(JAVA_LONG, 0, v);
        cl.setArg(kernel, index++, 8, value, name);
        return this;
    }

    KernelLauncher f(float v) {
        value.set(JAVA_FLOAT, 0, v);
        cl.setArg(kernel, index++, 4, value, name);
        return this;
    }

    KernelLauncher flag(boolean v) { return i(v ? 1 : 0); }

    /** A __local buffer of the given bytes. */
    KernelLauncher localBytes(long bytes) {
        cl.setArg(kernel, index++, bytes, MemorySegment.NULL, name);
        return this;
    }

    /** One dimension, items rounded up to a multiple of the group (kernels check their bounds); group 0 lets the driver choose. */
    void run(long items, long group) {
        if (items <= 0) return;
        long g = group > 0 ? (items + group - 1) / group * group : items;
        run(new long[] {g}, group > 0 ? new long[] {group} : null);
    }

    /** Exactly these global sizes (and local sizes, or null for the driver's choice). */
    void run(long[] globalSize, long[] localSize) {
        for (long g : globalSize) if (g <= 0) return;
        for (int d = 0; d < globalSize.length; d++) global.setAtIndex(JAVA_LONG, d, globalSize[d]);
        if (localSize != null) for (int d = 0; d < localSize.length; d++) local.setAtIndex(JAVA_LONG, d, localSize[d]);
        cl.enqueueKernel(queue, kernel, globalSize.length, global, localSize == null ? MemorySegment.NULL : local,
                timing ? eventSlot : MemorySegment.NULL, name);
        launches++;
        if (timing) {
            pending.add(new Object[] {name, eventSlot.get(ADDRESS, 0)});
            if (pending.size() >= 4096) times(); // keep the number of live events bounded
        }
    }

    long launches() { return launches; }

    /** Device time per kernel since the backend was made (waits for the pending launches); empty without timing. */
    Map<String, long[]> times() {
        for (Object[] p : pending) {
            MemorySegment ev = (MemorySegment) p[1];
            cl.waitFor(ev);
            long[] t = times.computeIfAbsent((String) p[0], k -> new long[2]);
            t[0]++;
            t[1] += cl.eventNanos(ev);
            cl.releaseEvent(ev);
        }
        pending.clear();
        return times;
    }

    @Override
    public void close() {
        for (Object[] p : pending) cl.releaseEvent((MemorySegment) p[1]);
        pending.clear();
        for (MemorySegment k : kernels.values()) cl.releaseKernel(k);
        kernels.clear();
        arena.close();
    }
}
