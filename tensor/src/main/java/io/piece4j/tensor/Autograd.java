package io.piece4j.tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The tape of reverse-mode autograd, one per thread. Each op that has an input needing a gradient
 * appends a step saying how to push its output's gradient back to its inputs;
 * {@link Tensor#backward()} runs the steps in reverse order. Gradients accumulate (+=), so several
 * backward passes add up (gradient accumulation) until the caller zeroes them.
 */
public final class Autograd {
    private Autograd() {}

    /** How one op sends its output gradient to its inputs. */
    @FunctionalInterface
    public interface BackwardStep {
        void run(Tensor outputGrad);
    }

    private record Step(Tensor output, BackwardStep backward) {}

    private static final class State {
        final List<Step> tape = new ArrayList<>();
        int noGradDepth;
    }

    private static final ThreadLocal<State> STATE = ThreadLocal.withInitial(State::new);

    /** True when ops should record: not inside a {@link #noGrad()} scope. */
    public static boolean isRecording() {
        return STATE.get().noGradDepth == 0;
    }

    /** A scope in which ops record nothing (evaluation, generation, optimizer updates). */
    public static Scope noGrad() {
        State s = STATE.get();
        s.noGradDepth++;
        return () -> s.noGradDepth--;
    }

    /** try-with-resources scope without a checked exception. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Called by ops: if recording and any input needs a gradient, marks the output as needing one and
     * records the backward step. Returns the output for chaining.
     */
    public static Tensor record(Tensor output, BackwardStep backward, Tensor... inputs) {
        if (!isRecording()) return output;
        boolean needed = false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad()) { needed = true; break; }
        if (!needed) return output;
        output.markNeedsGrad();
        STATE.get().tape.add(new Step(output, backward));
        return output;
    }

    /** Number of recorded steps (for tests and diagnostics). */
    public static int tapeSize() {
        return STATE.get().tape.size();
    }

    /** Forgets the tape without running it (after an evaluation that recorded by mistake, say). */
    public static void clearTape() {
        STATE.get().tape.clear();
    }

    /** Runs the tape in reverse; the caller has already seeded the root's gradient. */
    static void runBackward() {
        List<Step> tape = STATE.get().tape;
        try {
            for (int i = tape.size() - 1; i >= 0; i--) {
                Step step = tape.get(i);
                Tensor g = step.output().grad();
                if (g != null) step.backward().run(g);
                // every consumer of this output came later on the tape and has run: its gradient is complete and now used
                step.output().releaseIntermediateGrad();
            }
        } finally {
            // intermediate tensors' gradients die with the tape; leaf gradients stay
            for (Step step : tape) step.output().dropIntermediateGrad();
            tape.clear();
        }
    }
}
