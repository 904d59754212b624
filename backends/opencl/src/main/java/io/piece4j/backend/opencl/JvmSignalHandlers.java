package io.piece4j.backend.opencl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Keeps the JVM's signal handlers in place around OpenCL calls that load or run a driver.
 *
 * <p>Why: PoCL, the CPU driver the tests and CI use, calls LLVM's {@code RemoveFileOnSignal} while it sets up its
 * devices (in {@code clGetPlatformIDs}), and LLVM then installs its own handler over the JVM's for SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGINT, SIGTERM and others, with SA_RESETHAND (seen with {@code strace -k}). The JVM takes SIGSEGV
 * in normal operation: implicit null checks and safepoint polls in compiled code fault on purpose. The first such
 * fault then runs LLVM's handler; the kernel has reset the disposition to the default for it, and until LLVM puts
 * the JVM's handler back, a fault in a second thread kills the process (exit 139, no hs_err file, a "segfault at c"
 * line in the kernel log). That killed piece JVMs now and then, on simd too, because choosing the default backend
 * asks the OpenCL provider whether a GPU is there. Ctrl-C would also have bypassed the JVM's shutdown hooks.
 *
 * <p>So the dispositions of all signals are read once before the first OpenCL call, and after each call that may
 * initialise a driver or compile a program every one that changed is written back. Linux only (the layout of
 * {@code struct sigaction} is the C library's); elsewhere it does nothing.
 */
final class JvmSignalHandlers {
    private JvmSignalHandlers() {}

    /** Signals 1..31 (SIGKILL and SIGSTOP cannot be changed; sigaction refuses them and they are skipped). */
    private static final int LAST_SIGNAL = 31;
    /** At least sizeof(struct sigaction): 152 bytes with glibc on x86_64 and aarch64. */
    private static final long SIGACTION_BYTES = 256;
    /** Diagnostics: true leaves the drivers' handlers in place (the crash this class prevents comes back). */
    static final String KEEP_DRIVER_HANDLERS = "piece.opencl.keepDriverSignalHandlers";
    private static final boolean LINUX = System.getProperty("os.name", "").equals("Linux");
    private static final MethodHandle SIGACTION = LINUX ? Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("sigaction").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS)) : null;

    /** (LAST_SIGNAL + 1, SIGACTION_BYTES): each signal's disposition when {@link #save} ran; null before. */
    private static MemorySegment saved;
    private static boolean[] valid; // (LAST_SIGNAL + 1): sigaction read signal s

    /** Reads every signal's disposition, the first time only: call it before the first OpenCL call. */
    static synchronized void save() {
        if (!LINUX || saved != null) return;
        MemorySegment all = Arena.global().allocate(SIGACTION_BYTES * (LAST_SIGNAL + 1), 16);
        boolean[] ok = new boolean[LAST_SIGNAL + 1];
        for (int s = 1; s <= LAST_SIGNAL; s++) ok[s] = sigaction(s, MemorySegment.NULL, slot(all, s)) == 0;
        valid = ok;
        saved = all;
    }

    /** Writes back each disposition that differs from the saved one; returns how many it wrote back. */
    static synchronized int restore() {
        if (!LINUX || saved == null || Boolean.getBoolean(KEEP_DRIVER_HANDLERS)) return 0;
        int restored = 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment now = a.allocate(SIGACTION_BYTES, 16);
            for (int s = 1; s <= LAST_SIGNAL; s++) {
                if (!valid[s] || sigaction(s, MemorySegment.NULL, now) != 0) continue;
                if (handler(now) == handler(slot(saved, s))) continue;
                if (sigaction(s, slot(saved, s), MemorySegment.NULL) == 0) restored++;
            }
        }
        return restored;
    }

    /** The handler address of signal s now (0 for SIG_DFL), or -1 off Linux; for tests. */
    static long currentHandler(int s) {
        if (!LINUX) return -1;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment now = a.allocate(SIGACTION_BYTES, 16);
            return sigaction(s, MemorySegment.NULL, now) == 0 ? handler(now) : -1;
        }
    }

    private static MemorySegment slot(MemorySegment all, int s) {
        return all.asSlice(SIGACTION_BYTES * s, SIGACTION_BYTES);
    }

    /** sa_handler (or sa_sigaction, the same field): the first member of struct sigaction. */
    private static long handler(MemorySegment action) {
        return action.get(JAVA_LONG, 0);
    }

    private static int sigaction(int signal, MemorySegment act, MemorySegment oldAct) {
        try {
            return (int) SIGACTION.invokeExact(signal, act, oldAct);
        } catch (Throwable t) {
            throw new IllegalStateException("sigaction(" + signal + ") failed", t);
        }
    }
}
