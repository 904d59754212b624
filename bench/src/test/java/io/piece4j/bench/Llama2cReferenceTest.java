package io.piece4j.bench;

import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The llama2.c reference: the checkpoint it is given holds the same weights piece4j decodes with, in
 * the legacy header run.c reads; the tokenizer file has run.c's layout; the figure is run's
 * "achieved tok/s" line (a stand-in `run` script plays llama2.c here).
 */
class Llama2cReferenceTest {
    @Test
    void runGetsTheSameWeightsAsALegacyCheckpointAndItsTokensPerSecondAreRead() throws Exception {
        Path dir = Files.createTempDirectory("llama2c"), cache = Files.createTempDirectory("cache");
        Path args = dir.resolve("args.txt");
        Path run = dir.resolve("run");
        Files.writeString(run, "#!/bin/sh\necho \"$@\" > '" + args + "'\necho 'achieved tok/s: 512.250000' >&2\n");
        Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));

        Llama2cReference ref = new Llama2cReference(dir, null, cache);
        Llama2cReference.Result r = ref.run("run", "tiny", 3, Map.of("OMP_NUM_THREADS", "2"), 20);
        assertEquals(null, r.missing());
        assertEquals(512.25, r.tokensPerSecond(), 0);
        String[] argv = Files.readString(args).strip().split(" ");
        assertEquals("-n", argv[5]);
        assertEquals("21", argv[6], "steps = tokens + 1 (run.c counts the BOS position)");

        Path model = Path.of(argv[0]);
        byte[] head = Files.readAllBytes(model);
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(64, b.getInt(0), "legacy header: dim first, no magic");
        LlamaModel want = BenchModels.load(null, "tiny", new RefBackend(), 3);
        try (Checkpoint c = Checkpoint.open(model)) {
            LlamaModel got = ModelFiles.fromCheckpoint(c, new RefBackend());
            assertArrayEquals(want.parameters().toArray(), got.parameters().toArray(), "run.c decodes the weights piece4j decodes");
        }

        Path tok = Path.of(argv[2]);
        ByteBuffer t = ByteBuffer.wrap(Files.readAllBytes(tok)).order(ByteOrder.LITTLE_ENDIAN);
        int maxLen = t.getInt();
        int count = 0;
        while (t.hasRemaining()) {
            t.getFloat();
            int len = t.getInt();
            assertTrue(len > 0 && len <= maxLen, "token " + count + " length " + len + " within max " + maxLen);
            t.position(t.position() + len);
            count++;
        }
        assertEquals(512, count, "one entry per token of the tiny vocabulary");
    }

    @Test
    void aMissingProgramOrQ8ModelIsReportedWithWhatToDo() throws Exception {
        Path dir = Files.createTempDirectory("llama2c-empty"), cache = Files.createTempDirectory("cache");
        Llama2cReference ref = new Llama2cReference(dir, null, cache);
        Llama2cReference.Result run = ref.run("run", "tiny", 1, Map.of(), 8);
        assertTrue(Double.isNaN(run.tokensPerSecond()) && run.missing().contains("make runomp"), run.missing());
        Path runq = dir.resolve("runq");
        Files.writeString(runq, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(runq, PosixFilePermissions.fromString("rwxr-xr-x"));
        Llama2cReference.Result q = ref.run("runq", "tiny", 1, Map.of(), 8);
        assertTrue(q.missing().contains("--llama2c-q8-model"), q.missing());
    }
}
