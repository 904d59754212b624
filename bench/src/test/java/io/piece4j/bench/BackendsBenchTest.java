package io.piece4j.bench;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `piece bench backends` times its training steps as training runs them, inside an activation arena. Without the
 * arena its simd full step at stories15M, 8 x 256 read 446 tokens/s where `bench train` read 2227: the table was
 * timing the garbage collector. Checked by what a step allocates, which does not depend on the machine's speed.
 */
class BackendsBenchTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"full", "masked", "importance"})
    void stepsReuseTheirActivationsInsteadOfAllocatingThem(String mode) {
        BackendsBench bench = new BackendsBench();
        new CommandLine(bench).parseArgs("--batch", "2", "--seq", "32");
        LlamaConfig tiny = BenchModels.named("tiny");
        // ref: plain Java loops, which allocate nothing before the JIT compiles them (the Vector API boxes its
        // vectors until then, megabytes a step, whatever the arena does)
        try (Backend be = Backends.create("ref", 1)) {
            long withArena = allocatedPerStep(bench.trainingStep(be, tiny, mode, true));
            long without = allocatedPerStep(bench.trainingStep(be, tiny, mode, false));
            assertTrue(without > 500_000, mode + ": a step's activations are at least 0.5 MB, got " + without + " bytes");
            assertTrue(withArena < without / 4, mode + ": " + withArena + " bytes allocated per step in the arena against "
                    + without + " without it");
        }
    }

    private static long allocatedPerStep(Runnable step) {
        for (int i = 0; i < 3; i++) step.run(); // the arena's first step takes its storage
        int steps = 10;
        JvmCounters before = JvmCounters.now();
        for (int i = 0; i < steps; i++) step.run();
        return JvmCounters.now().since(before).allocatedBytes() / steps;
    }
}
