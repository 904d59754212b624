package io.piece4j.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * What the JVM has counted so far: bytes allocated on the heap by all threads, time and count of garbage
 * collections. The difference of two snapshots taken around some steps is what those steps cost in garbage.
 *
 * @param allocatedBytes bytes allocated by every thread since the JVM started (HotSpot's thread allocation counters)
 * @param gcMillis       milliseconds spent in collections, all collectors
 * @param gcCount        collections, all collectors
 */
record JvmCounters(long allocatedBytes, long gcMillis, long gcCount) {

    static JvmCounters now() {
        long ms = 0, count = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            ms += Math.max(0, gc.getCollectionTime());
            count += Math.max(0, gc.getCollectionCount());
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return new JvmCounters(threads.getTotalThreadAllocatedBytes(), ms, count);
    }

    /** This snapshot minus an earlier one. */
    JvmCounters since(JvmCounters earlier) {
        return new JvmCounters(allocatedBytes - earlier.allocatedBytes, gcMillis - earlier.gcMillis, gcCount - earlier.gcCount);
    }

    /** Peak bytes used of the heap, summed over its pools since the JVM started (or the last reset). */
    static long peakHeapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) sum += p.getPeakUsage().getUsed();
        }
        return sum;
    }

    /** Heap in use after a full collection: what is still referenced. */
    static long liveHeapBytes() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Resets every heap pool's peak to its current use. */
    static void resetPeakHeap() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
    }
}
