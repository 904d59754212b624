package io.piece4j.tensor;

import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BackendProvider;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds backends on the class path (ServiceLoader) and picks one: the name given, else
 * -Dpiece.backend, else PIECE_BACKEND, else the available one with the highest priority.
 * Threads: the number given, else -Dpiece.threads, else PIECE_THREADS, else the processor count.
 */
public final class Backends {
    private Backends() {}

    public static List<BackendProvider> providers() {
        List<BackendProvider> all = unranked();
        all.sort(Comparator.comparingInt(BackendProvider::priority).reversed().thenComparing(BackendProvider::name));
        return all;
    }

    /** The backend name asked for by -Dpiece.backend, else by PIECE_BACKEND, or null when neither is set. */
    public static String requestedName() {
        String s = System.getProperty("piece.backend");
        if (s == null || s.isBlank()) s = System.getenv("PIECE_BACKEND");
        return s == null || s.isBlank() ? null : s.trim();
    }

    public static int requestedThreads() {
        String s = System.getProperty("piece.threads");
        if (s == null || s.isBlank()) s = System.getenv("PIECE_THREADS");
        if (s == null || s.isBlank()) return Runtime.getRuntime().availableProcessors();
        try {
            int t = Integer.parseInt(s.trim());
            if (t < 1) throw new NumberFormatException();
            return t;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("piece.threads must be a positive integer, got '" + s + "'");
        }
    }

    /** The backend asked for by -Dpiece.backend / PIECE_BACKEND, else the best available. */
    public static Backend create() {
        return create(requestedName(), requestedThreads());
    }

    /**
     * The backend called name; a null or blank name means the one asked for by -Dpiece.backend or
     * PIECE_BACKEND, and only when neither is set the best available. A name that is not on the class
     * path, or whose backend cannot run here, fails. threads <= 0 means the default.
     */
    public static Backend create(String name, int threads) {
        int t = threads > 0 ? threads : requestedThreads();
        if (name == null || name.isBlank()) name = requestedName();
        else name = name.trim();
        if (name == null) {
            List<BackendProvider> all = providers();
            for (BackendProvider p : all) if (p.isAvailable()) return p.create(t);
            throw new IllegalStateException("no backend available; found: " + describe(all));
        }
        return available(name).create(t);
    }

    /**
     * Fails, as {@link #create} would, when -Dpiece.backend or PIECE_BACKEND names a backend that is not
     * on the class path or cannot run here. Commands that compute nothing (inspect, convert) call it so
     * that a misspelt variable is reported by every command, not silently ignored by some.
     */
    public static void checkRequested() {
        String name = requestedName();
        if (name != null) available(name);
    }

    /**
     * The provider called name, which can run here; fails naming what was found otherwise. Looked up in
     * class-path order: ranking would ask every provider for its priority, and the OpenCL one then loads its
     * driver (native code, a fraction of a second) even when simd was asked for.
     */
    private static BackendProvider available(String name) {
        List<BackendProvider> all = unranked();
        for (BackendProvider p : all) {
            if (p.name().equals(name)) {
                if (p.isAvailable()) return p;
                throw new IllegalStateException("backend '" + name + "' is not available here: " + p.unavailableReason()
                        + "; found: " + describe(all));
            }
        }
        throw new IllegalArgumentException("backend '" + name + "' was asked for but is not on the class path; found: " + describe(all));
    }

    private static List<BackendProvider> unranked() {
        List<BackendProvider> all = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class).forEach(all::add);
        return all;
    }

    public static String describe(List<BackendProvider> all) {
        return all.stream().map(p -> p.name() + (p.isAvailable() ? "" : " (unavailable: " + p.unavailableReason() + ")"))
                .collect(Collectors.joining(", ", "[", "]"));
    }
}
