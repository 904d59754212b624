package io.piece4j.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SeqLoRA and O-LoRA keep state across tasks (the adapter and the base weights; the earlier adapters' A):
 * a run interrupted in the middle of a task, twice, and resumed each time gives the numbers of an
 * uninterrupted run. The interruption is an exception thrown from the progress listener, which leaves the
 * output folder as a crash at that point would (the last in-task checkpoint, the last finished task's
 * model and method state).
 */
class ContinualLoraResumeTest {
    private static final List<String> METHODS = List.of("seqlora", "olora");

    private static final class Interrupted extends RuntimeException {
        Interrupted(String where) { super(where); }
    }

    /** Runs into out, throwing when method reaches optimizer step `step` of task `task` (0-based); null = run to the end. */
    private static void run(ContinualFixture f, Path out, boolean resume, String method, int task, int step) throws Exception {
        try (Backend be = Backends.create("simd", 1)) {
            new ContinualRun(ContinualLoraNormMiguTest.spec(f, METHODS, out, resume), be).onProgress(p -> {
                if (p.run().startsWith(method + " ") && p.task() == task && p.phase().equals("train") && p.done() == step) {
                    throw new Interrupted(method + " task " + task + " step " + step);
                }
            }).run();
        }
    }

    @Test
    void interruptedInsideTasksAndResumedGivesTheUninterruptedNumbers() throws Exception {
        ContinualFixture f = ContinualFixture.create();
        Path interrupted = f.dir.resolve("interrupted"), fresh = f.dir.resolve("fresh");
        assertThrows(Interrupted.class, () -> run(f, interrupted, false, "seqlora", 1, 3));
        assertTrue(Files.exists(interrupted.resolve("runs/seqlora/seed-1/task-1.ckpt")), "an in-task checkpoint is there");
        assertThrows(Interrupted.class, () -> run(f, interrupted, true, "olora", 2, 2));
        assertTrue(Files.exists(interrupted.resolve("runs/olora/seed-1/method-after-2/olora.safetensors")), "O-LoRA's state after two tasks");
        run(f, interrupted, true, "none", -1, -1);
        run(f, fresh, false, "none", -1, -1);

        ObjectMapper om = new ObjectMapper();
        JsonNode a = om.readTree(interrupted.resolve("results.json").toFile()), b = om.readTree(fresh.resolve("results.json").toFile());
        for (String m : METHODS) {
            assertTrue(b.at("/methods/" + m + "/complete").asBoolean(), m + " complete");
            for (String field : new String[] {"R", "answer_loss", "probe", "probes", "OP", "BWT", "BWT_original", "FWT", "added_parameters"}) {
                assertEquals(b.at("/methods/" + m + "/" + field), a.at("/methods/" + m + "/" + field), m + "." + field + " after interruptions and resumes");
            }
            for (String field : new String[] {"train_losses", "changed_parameters", "trained_coordinates"}) {
                assertEquals(b.at("/methods/" + m + "/per_seed/0/" + field), a.at("/methods/" + m + "/per_seed/0/" + field),
                        m + ".per_seed." + field + " after interruptions and resumes");
            }
        }
    }
}
