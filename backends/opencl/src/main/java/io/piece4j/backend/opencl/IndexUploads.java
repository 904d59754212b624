package io.piece4j.backend.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Device copies of the int arrays the SPI passes from the host (token ids, targets, a mask's indices,
 * a matrix's sampled coordinates). The same array object comes back step after step (the optimizer's
 * mask, the model's per-weight index lists) or twice in a row (targets to the loss and its backward), so
 * the last {@value #CAPACITY} arrays are kept on the device, keyed by identity and checked against a copy
 * of their contents, so a caller that changes an array in place gets a fresh upload. An upload creates
 * the buffer with the data (CL_MEM_COPY_HOST_PTR): no queue round trip.
 */
final class IndexUploads implements AutoCloseable {
    static final int CAPACITY = 256;

    private record Upload(int[] contents, MemorySegment mem) {}

    private final OpenCl cl;
    private final MemorySegment context;
    private final Transfers transfers;
    // arrays hash and compare by identity; access order makes the first entry the least recently used
    private final LinkedHashMap<int[], Upload> byArray = new LinkedHashMap<>(16, 0.75f, true);

    IndexUploads(OpenCl cl, MemorySegment context, Transfers transfers) {
        this.cl = cl;
        this.context = context;
        this.transfers = transfers;
    }

    /** The device buffer holding a's values (at least one element). */
    MemorySegment of(int[] a) {
        Upload u = byArray.get(a);
        if (u != null && Arrays.equals(u.contents, a)) return u.mem;
        if (u != null) remove(a);
        MemorySegment mem;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(JAVA_INT, Math.max(1, a.length));
            MemorySegment.copy(a, 0, host, JAVA_INT, 0, a.length);
            mem = cl.createBuffer(context, OpenCl.CL_MEM_READ_ONLY | OpenCl.CL_MEM_COPY_HOST_PTR, host.byteSize(), host);
        }
        transfers.toDevice((long) a.length * Integer.BYTES);
        while (byArray.size() >= CAPACITY) {
            Iterator<int[]> oldest = byArray.keySet().iterator();
            remove(oldest.next());
        }
        byArray.put(a, new Upload(a.clone(), mem));
        return mem;
    }

    private void remove(int[] a) {
        Upload u = byArray.remove(a);
        // released once the commands that use it have finished (clReleaseMemObject defers the delete)
        if (u != null) cl.releaseMem(u.mem);
    }

    @Override
    public void close() {
        for (Upload u : byArray.values()) cl.releaseMem(u.mem);
        byArray.clear();
    }
}
