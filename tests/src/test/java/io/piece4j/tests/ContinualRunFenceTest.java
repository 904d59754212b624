package io.piece4j.tests;

import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.continual.RunState;
import io.piece4j.piece.continual.JsonFiles;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One writer per run folder: when a cluster retries a run while the first attempt still runs, the first attempt
 * stops at its next training step and writes nothing more, and the retry finishes the run.
 */
class ContinualRunFenceTest {
    @Test
    void anAttemptWhoseFolderWasClaimedByAnotherStopsBeforeWritingAnything() throws Exception {
        ContinualFixture f = ContinualFixture.create();
        Path out = f.dir.resolve("out");
        ContinualRun.Spec spec = f.spec(List.of("piece-s"), out, false, false);
        Path runDir = out.resolve("runs/piece-s/seed-1");
        try (RefBackend be = new RefBackend()) {
            ContinualRun first = new ContinualRun(spec, be).ownedBy("attempt-0");
            int[] steps = {0};
            first.onProgress(p -> {
                // a retry claims the folder while the first attempt trains its first task
                if (p.phase().equals("train") && p.done() == 2 && steps[0]++ == 0) {
                    try {
                        Files.writeString(runDir.resolve(ContinualRun.OWNER_FILE), "attempt-1");
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
            ContinualRun.Variant v = first.variants().getFirst();
            ContinualRun.SupersededException e = assertThrows(ContinualRun.SupersededException.class, () -> first.runOne(v, 1));
            assertTrue(e.getMessage().contains("attempt-1"), e.getMessage());
            assertFalse(Files.exists(runDir.resolve("state.json")), "the superseded attempt wrote no state");
            assertFalse(Files.exists(runDir.resolve("model-after-1.ckpt")), "nor a model");

            RunState done = new ContinualRun(spec, be).ownedBy("attempt-1").runOne(v, 1);
            assertEquals(3, done.tasks().size(), "the retry finishes every task");
            assertEquals("attempt-1", Files.readString(runDir.resolve(ContinualRun.OWNER_FILE)));
            assertEquals(3, JsonFiles.read(runDir.resolve("state.json"), RunState.class).tasks().size(), "state.json is the retry's");
        }
    }

    @Test
    void withoutAFenceTheOwnerFileIsNeitherWrittenNorRead() throws Exception {
        ContinualFixture f = ContinualFixture.create();
        Path out = f.dir.resolve("out");
        ContinualRun.Spec spec = f.spec(List.of("seqft"), out, false, false);
        try (RefBackend be = new RefBackend()) {
            ContinualRun run = new ContinualRun(spec, be);
            RunState s = run.runOne(run.variants().getFirst(), 1);
            assertEquals(3, s.tasks().size());
            assertFalse(Files.exists(out.resolve("runs/seqft/seed-1").resolve(ContinualRun.OWNER_FILE)));
        }
    }
}
