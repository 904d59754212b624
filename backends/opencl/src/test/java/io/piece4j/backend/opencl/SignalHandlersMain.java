package io.piece4j.backend.opencl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Run by {@link JvmSignalHandlersTest} in a fresh JVM: sets up the OpenCL driver and builds the backend's program, then
 * prints which library holds the handler of each signal the JVM relies on (from /proc/self/maps). With args[0] =
 * "no-restore" the handlers are not written back, which shows what the driver does on its own.
 */
public final class SignalHandlersMain {
    private SignalHandlersMain() {}

    static final int[] SIGNALS = {1, 2, 4, 7, 8, 11, 15}; // SIGHUP, SIGINT, SIGILL, SIGBUS, SIGFPE, SIGSEGV, SIGTERM

    public static void main(String[] args) throws Exception {
        boolean restore = args.length == 0 || !args[0].equals("no-restore");
        if (!restore) System.setProperty(JvmSignalHandlers.KEEP_DRIVER_HANDLERS, "true");
        OpenClBackend backend = new OpenClBackend();
        System.out.println("platform " + backend.device().platformName());
        backend.close();
        List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
        for (int s : SIGNALS) System.out.println("signal " + s + " " + library(JvmSignalHandlers.currentHandler(s), maps));
    }

    /** The file mapped at the address, or "none" / "SIG_DFL". */
    static String library(long address, List<String> maps) {
        if (address == 0) return "SIG_DFL";
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
