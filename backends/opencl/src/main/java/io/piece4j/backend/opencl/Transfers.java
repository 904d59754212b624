package io.piece4j.backend.opencl;

/**
 * Counts what crosses between host and device, so a test can check that a training step keeps its
 * tensors on the device: reads (each one waits for the queue) and writes, in calls and bytes.
 */
public final class Transfers {
    private long toDeviceCalls, toDeviceBytes, toHostCalls, toHostBytes;

    synchronized void toDevice(long bytes) { toDeviceCalls++; toDeviceBytes += bytes; }

    synchronized void toHost(long bytes) { toHostCalls++; toHostBytes += bytes; }

    /** The counts so far, as a snapshot. */
    public synchronized Snapshot snapshot() { return new Snapshot(toDeviceCalls, toDeviceBytes, toHostCalls, toHostBytes); }

    /** Counts at one moment; {@link #minus} gives what happened in between two. */
    public record Snapshot(long toDeviceCalls, long toDeviceBytes, long toHostCalls, long toHostBytes) {
        public Snapshot minus(Snapshot earlier) {
            return new Snapshot(toDeviceCalls - earlier.toDeviceCalls, toDeviceBytes - earlier.toDeviceBytes,
                    toHostCalls - earlier.toHostCalls, toHostBytes - earlier.toHostBytes);
        }

        @Override
        public String toString() {
            return "to device: " + toDeviceCalls + " transfers, " + toDeviceBytes + " bytes; to host: " + toHostCalls + " transfers, "
                    + toHostBytes + " bytes";
        }
    }
}
