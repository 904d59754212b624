package io.piece4j.piece.train;

import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A checkpoint write that dies midway leaves the previous checkpoint loadable; corruption is detected. */
class CheckpointCrashTest {
    private final Backend be = new RefBackend();

    @AfterEach
    void reset() { TrainingCheckpoint.failAfterBytes = -1; }

    private TrainingCheckpoint.State state(long step) {
        return new TrainingCheckpoint.State(1, 3, step, 40, "settings-x", "task", List.of(2.5, 2.25));
    }

    @Test
    void interruptedWriteLeavesThePreviousCheckpoint() throws IOException {
        Path dir = Files.createTempDirectory("ckpt");
        Path f = dir.resolve("run.ckpt");
        Rng rng = new Rng(1);
        Tensor params = Tensor.randn(be, rng, 1f, 5000), m = Tensor.randn(be, rng, 1f, 40), v = Tensor.randn(be, rng, 1f, 40);
        int[] idx = java.util.stream.IntStream.range(0, 40).map(i -> i * 100).toArray();
        TrainingCheckpoint.write(f, state(7), params, m, v, idx);
        float[] good = params.toArray();

        Tensor changed = Tensor.randn(be, rng, 1f, 5000);
        TrainingCheckpoint.failAfterBytes = 9000; // dies inside the parameter section
        assertThrows(IOException.class, () -> TrainingCheckpoint.write(f, state(8), changed, m, v, idx));

        TrainingCheckpoint.Loaded back = TrainingCheckpoint.read(f);
        assertEquals(7, back.state().optimizerStep(), "the previous checkpoint must still be the one on disk");
        assertArrayEquals(good, back.params());
        assertArrayEquals(idx, back.indices());
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file may be left behind");
        }
    }

    @Test
    void truncatedOrCorruptedCheckpointIsRejectedWithTheField() throws IOException {
        Path dir = Files.createTempDirectory("ckpt");
        Path f = dir.resolve("run.ckpt");
        Rng rng = new Rng(2);
        TrainingCheckpoint.write(f, state(1), Tensor.randn(be, rng, 1f, 100), Tensor.zeros(be, 3), Tensor.zeros(be, 3), new int[] {1, 5, 9});
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(bytes, bytes.length - 5));
        IOException t = assertThrows(IOException.class, () -> TrainingCheckpoint.read(f));
        assertTrue(t.getMessage().contains("parameter_count"), t.getMessage());
        bytes[bytes.length - 20] ^= 0x40;
        Files.write(f, bytes);
        IOException c = assertThrows(IOException.class, () -> TrainingCheckpoint.read(f));
        assertTrue(c.getMessage().contains("crc32"), c.getMessage());
    }
}
