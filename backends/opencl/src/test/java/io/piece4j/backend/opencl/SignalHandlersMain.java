package io.piece4j.backend.opencl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Run by {@link JvmSignalHandlersTest} in a fresh JVM: reads the handler of each signal the JVM relies on, sets up the
 * OpenCL driver and builds the backend's program, reads them again, and prints for each signal whether it was kept
 * and which library holds it before and after (from /proc/self/maps). With args[0] = "no-restore" the handlers are
 * not written back, which shows what the driver does on its own. (A signal the parent ignores, such as SIGHUP under
 * nohup, stays ignored: the JVM installs no handler for it, so "kept" is the test, not "libjvm.so".)
 */
public final class SignalHandlersMain {
    private SignalHandlersMain() {}

    static final int[] SIGNALS = {1, 2, 4, 7, 8, 11, 15}; // SIGHUP, SIGINT, SIGILL, SIGBUS, SIGFPE, SIGSEGV, SIGTERM

    public static void main(String[] args) throws Exception {
        boolean restore = args.length == 0 || !args[0].equals("no-restore");
        if (!restore) System.setProperty(JvmSignalHandlers.KEEP_DRIVER_HANDLERS, "true");
        long[] before = new long[SIGNALS.length];
        for (int i = 0; i < SIGNALS.length; i++) before[i] = JvmSignalHandlers.currentHandler(SIGNALS[i]);
        OpenClBackend backend = new OpenClBackend();
        System.out.println("platform " + backend.device().platformName());
        backend.close();
        List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
        for (int i = 0; i < SIGNALS.length; i++) {
            long after = JvmSignalHandlers.currentHandler(SIGNALS[i]);
            System.out.println("signal " + SIGNALS[i] + (after == before[i] ? " kept " : " changed ") + library(before[i], maps)
                    + " -> " + library(after, maps));
        }
    }

    /** The file mapped at the address, or "none", "SIG_DFL", "SIG_IGN". */
    static String library(long address, List<String> maps) {
        if (address == 0) return "SIG_DFL";
        if (address == 1) return "SIG_IGN";
        for (String line : maps) {
            String[] f = line.trim().split("\\s+");
            String[] range = f[0].split("-");
            long lo = Long.parseUnsignedLong(range[0], 16), hi = Long.parseUnsignedLong(range[1], 16);
            if (Long.compareUnsigned(address, lo) >= 0 && Long.compareUnsigned(address, hi) < 0) {
                return f.length >= 6 ? Path.of(f[5]).getFileName().toString() : "anonymous";
            }
        }
        return "none";
    }
}
