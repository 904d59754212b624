package io.piece4j.backend.opencl;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Device buffers of one backend. Tensors have no explicit free in the SPI (on the CPU the garbage
 * collector reclaims their arrays), so a storage's buffer is handed back by a {@link Cleaner} when the
 * storage becomes unreachable, and kept in a free list by exact size: a training step allocates the same
 * sizes every time, so steady-state steps create no new buffers. Reuse is safe because all commands go
 * through one in-order queue: whatever used the buffer before was enqueued before its next use.
 *
 * <p>The collector does not know about device memory, so live plus pooled bytes are kept under a budget
 * ({@code -Dpiece.opencl.memory=BYTES}, default three quarters of the device's memory, at most 4 GiB on
 * a CPU device, which shares the host's memory): when an allocation would pass it, the free lists are
 * released and the collector is asked to run so unreachable storages come back.
 */
final class DeviceMemory implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final OpenCl cl;
    private final MemorySegment context;
    private final long budget;
    private final Map<Long, ArrayDeque<MemorySegment>> free = new HashMap<>();
    private final ConcurrentLinkedQueue<Returned> returned = new ConcurrentLinkedQueue<>();
    private long liveBytes, freeBytes, created, reused;
    private volatile boolean closed;

    private record Returned(MemorySegment mem, long bytes) {}

    DeviceMemory(OpenCl cl, MemorySegment context, OpenClDevice device) {
        this.cl = cl;
        this.context = context;
        String forced = System.getProperty("piece.opencl.memory");
        long dflt = device.globalMemBytes() / 4 * 3;
        if (device.isCpu()) dflt = Math.min(dflt, 4L << 30);
        this.budget = forced == null || forced.isBlank() ? dflt : Long.parseLong(forced.trim());
    }

    /** A storage of at least one element's buffer (OpenCL has no empty buffers), contents undefined. */
    synchronized OpenClStorage storage(OpenClBackend owner, long elements) {
        long bytes = Math.max(1, elements) * Float.BYTES;
        MemorySegment mem = take(bytes);
        OpenClStorage s = new OpenClStorage(owner, elements, mem);
        CLEANER.register(s, () -> giveBack(mem, bytes));
        return s;
    }

    private MemorySegment take(long bytes) {
        drainReturned();
        ArrayDeque<MemorySegment> q = free.get(bytes);
        if (q != null && !q.isEmpty()) {
            freeBytes -= bytes;
            liveBytes += bytes;
            reused++;
            return q.pop();
        }
        if (liveBytes + freeBytes + bytes > budget) releaseFree();
        if (liveBytes + bytes > budget) reclaimUnreachable(bytes);
        MemorySegment mem;
        try {
            mem = cl.createBuffer(context, OpenCl.CL_MEM_READ_WRITE, bytes, MemorySegment.NULL);
        } catch (OpenClException e) {
            // out of device memory: give back what the collector can find, then try once more
            releaseFree();
            reclaimUnreachable(Long.MAX_VALUE);
            mem = cl.createBuffer(context, OpenCl.CL_MEM_READ_WRITE, bytes, MemorySegment.NULL);
        }
        liveBytes += bytes;
        created++;
        return mem;
    }

    /** Runs the collector and waits briefly for cleaners to hand back buffers, until bytes would fit or nothing more comes. */
    private void reclaimUnreachable(long bytes) {
        for (int attempt = 0; attempt < 5 && (bytes == Long.MAX_VALUE || liveBytes + bytes > budget); attempt++) {
            long before = liveBytes;
            System.gc();
            try { Thread.sleep(10L << attempt); } catch (InterruptedException e) { Thread.currentThread().interrupt(); return; }
            drainReturned();
            releaseFree();
            if (liveBytes == before && attempt >= 1) return;
        }
    }

    private void drainReturned() {
        Returned r;
        while ((r = returned.poll()) != null) {
            liveBytes -= r.bytes;
            freeBytes += r.bytes;
            free.computeIfAbsent(r.bytes, k -> new ArrayDeque<>()).push(r.mem);
        }
    }

    private void releaseFree() {
        for (ArrayDeque<MemorySegment> q : free.values()) for (MemorySegment m : q) cl.releaseMem(m);
        free.clear();
        freeBytes = 0;
    }

    /** Called by the cleaner thread when a storage became unreachable. */
    private void giveBack(MemorySegment mem, long bytes) {
        returned.add(new Returned(mem, bytes));
        if (closed) {
            synchronized (this) {
                drainReturned();
                releaseFree();
            }
        }
    }

    /** Bytes held by reachable (or not yet collected) storages, and buffers created and reused so far. */
    synchronized String stats() {
        drainReturned();
        return String.format("live %.1f MiB, pooled %.1f MiB, buffers created %d, reused %d", liveBytes / 1048576.0,
                freeBytes / 1048576.0, created, reused);
    }

    synchronized long buffersCreated() { return created; }

    @Override
    public synchronized void close() {
        closed = true;
        drainReturned();
        releaseFree();
    }
}
