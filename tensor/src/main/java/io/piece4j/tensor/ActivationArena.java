package io.piece4j.tensor;

import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.Storage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The storage of the tensors a training step creates and drops: ops' outputs ({@link Tensor#activation}) and the
 * gradients of intermediate tensors. Inside a {@link #step()} scope, opened by the thread that runs the step,
 * they come from this arena instead of fresh allocations; when the scope closes they all come back, and the
 * next step, which asks for the same sizes in the same order, gets the same buffers again. So the steady state
 * of training allocates no storage at all, and the memory a step holds is its own peak, known and reported
 * ({@link #bytesHeld()}), rather than whatever the garbage collector has not yet reclaimed.
 *
 * <p>A gradient of an intermediate tensor is handed back as soon as the backward step that reads it has run
 * ({@link Autograd}), so the gradients of layer l are reused for layer l - 1 within the same backward pass.
 *
 * <p>What the scope's tensors may not do is outlive it: a tensor made by an op inside a step must not be read
 * after the step's scope closes (its storage then belongs to the next step). Parameters, their gradients,
 * optimizer state and anything made by {@link Tensor#zeros} are never arena storage. With
 * {@code -Dpiece.arena.poison=true} (the tests run with it) storage that comes back is filled with NaN, so a
 * tensor read after its step shows NaN instead of another step's numbers.
 *
 * <p>Buffers are matched by exact size. Buffers the last step did not use are dropped when it ends, so a
 * change of shapes (a shorter batch) does not make the arena grow without bound.
 */
public final class ActivationArena {
    private static final ThreadLocal<ActivationArena> CURRENT = new ThreadLocal<>();
    static final boolean POISON = Boolean.getBoolean("piece.arena.poison");

    private final Backend backend;
    private final int elementBytes;
    /** Storage that may be handed out now, by size. */
    private final Map<Long, ArrayDeque<Storage>> available = new HashMap<>();
    /** Storage handed out during the open step (at least once); what the next step will find available. */
    private final Map<Storage, Boolean> usedThisStep = new IdentityHashMap<>();
    private long bytesHeld, peakBytesHeld, allocations;
    private boolean open;

    /** An empty arena for tensors of backend. */
    public ActivationArena(Backend backend) {
        this.backend = backend;
        this.elementBytes = backend.precision() == io.piece4j.tensor.spi.Precision.FLOAT64 ? Double.BYTES : Float.BYTES;
    }

    /**
     * Opens a step on the calling thread: until the returned scope closes, op outputs and intermediate
     * gradients of this arena's backend come from the arena. Steps do not nest.
     */
    public Autograd.Scope step() {
        if (open) throw new IllegalStateException("a step of this arena is already open");
        if (CURRENT.get() != null) throw new IllegalStateException("another activation arena is open on this thread");
        open = true;
        CURRENT.set(this);
        return this::endStep;
    }

    private void endStep() {
        CURRENT.remove();
        open = false;
        // keep what this step used, drop the rest
        available.clear();
        long held = 0;
        for (Storage s : usedThisStep.keySet()) {
            if (POISON) backend.fill(s, 0, s.size(), Float.NaN);
            available.computeIfAbsent(s.size(), n -> new ArrayDeque<>()).push(s);
            held += s.size() * elementBytes;
        }
        usedThisStep.clear();
        bytesHeld = held;
    }

    /** True while a step of some arena is open on the calling thread (steps of two arenas do not nest). */
    public static boolean openOnThisThread() { return CURRENT.get() != null; }

    /** The arena open on the calling thread for backend, or null. */
    static ActivationArena current(Backend backend) {
        ActivationArena a = CURRENT.get();
        return a != null && a.backend == backend ? a : null;
    }

    /**
     * Storage of n elements for the open step: zero-filled if zeroed, else, when reused, holding whatever it held
     * (NaN under poison), for an op that writes every element before anything reads it. A fresh allocation is zero
     * either way.
     */
    Storage take(long n, boolean zeroed) {
        ArrayDeque<Storage> free = available.get(n);
        Storage s = free == null ? null : free.poll();
        if (s == null) {
            s = backend.allocate(n);
            allocations++;
            bytesHeld += n * elementBytes;
            peakBytesHeld = Math.max(peakBytesHeld, bytesHeld);
        } else if (zeroed) {
            backend.fill(s, 0, n, 0f);
        }
        usedThisStep.put(s, Boolean.TRUE);
        return s;
    }

    /** Hands storage from this step back before the step ends (a gradient nobody reads any more). */
    void release(Storage s) {
        if (usedThisStep.containsKey(s)) {
            if (POISON) backend.fill(s, 0, s.size(), Float.NaN);
            available.computeIfAbsent(s.size(), n -> new ArrayDeque<>()).push(s);
        }
    }

    /** Bytes of storage the arena owns now (all of it free between steps). */
    public long bytesHeld() { return bytesHeld; }

    /** The most bytes the arena has owned at once. */
    public long peakBytesHeld() { return peakBytesHeld; }

    /** How many storages the arena has had to allocate since it was made: constant in the steady state. */
    public long allocations() { return allocations; }

    /** Sizes (elements) of the storages the arena owns, for diagnostics. */
    List<Long> sizes() {
        List<Long> out = new ArrayList<>();
        available.forEach((n, q) -> { for (int i = 0; i < q.size(); i++) out.add(n); });
        return out;
    }
}
