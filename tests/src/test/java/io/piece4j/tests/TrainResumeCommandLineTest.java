package io.piece4j.tests;

import io.piece4j.cli.PieceCli;
import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.piece.train.TrainingCheckpoint;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;




import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * `piece train --checkpoint-every 3 --resume` as users run it: a training process is killed (SIGKILL) after its first
 * checkpoints; every checkpoint it wrote mid-epoch was at a multiple of 3 optimizer steps; `train --resume` with the
 * same arguments reports where it resumed and how many steps it ran, and writes a model bit-identical to that of an
 * uninterrupted `train`.
 */
class TrainResumeCommandLineTest {
    private static final int EXAMPLES = 40, BATCH = 2, EPOCHS = 2, EVERY = 3;
    private static final int STEPS_PER_EPOCH = EXAMPLES / BATCH, TOTAL = EPOCHS * STEPS_PER_EPOCH;

    private static Object[] run(String... args) {
        PieceRun r = PieceRun.of(args);
        return new Object[] {r.exitCode(), r.out()};
    }

    private static List<String> trainArgs(Path model, Path data, Path out, Path ckpt, boolean resume) {
        List<String> a = new ArrayList<>(List.of("train", "--model", model.toString(), "--tokenizer", "byte", "--data", data.toString(),
                "--full", "--epochs", Integer.toString(EPOCHS), "--lr", "1e-3", "--batch", Integer.toString(BATCH), "--backend", "ref",
                "--checkpoint-every", Integer.toString(EVERY), "--checkpoint", ckpt.toString(), "--out", out.toString()));
        if (resume) a.add("--resume");
        return a;
    }

    @Test
    void killedTrainCommandResumesFromItsLastCheckpointToTheSameModel() throws Exception {
        Path dir = Files.createTempDirectory("train-resume");
        // dim 64: a step takes tens of milliseconds on ref, so the process is still running when its first checkpoints appear
        LlamaConfig c = new LlamaConfig(64, 2, 4, 2, 16, 96, 259, 64, 1e-5f, 10000f, false, LlamaConfig.RopeLayout.INTERLEAVED, null);
        LlamaModel base = new LlamaModel(c, new RefBackend());
        base.initRandom(3, 0.1f);
        Path model = dir.resolve("base.safetensors");
        ModelFiles.save(base, model, ModelFiles.Format.SAFETENSORS, "f32", null);
        Path data = dir.resolve("task.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < EXAMPLES; i++) sb.append("{\"prompt\": \"").append(i).append(" * 3 = \", \"answer\": \"").append(3 * i).append("\"}\n");
        Files.writeString(data, sb.toString());

        Path ckpt = dir.resolve("run.ckpt"), killedOut = dir.resolve("killed.safetensors");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), PieceCli.class.getName()));
        command.addAll(trainArgs(model, data, killedOut, ckpt, false));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("killed.log").toFile()).start();
        TreeSet<Long> seen = new TreeSet<>(); // optimizer steps of the checkpoints seen while the process ran
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (p.isAlive() && System.nanoTime() < deadline && (seen.isEmpty() || seen.last() < 2 * EVERY)) {
                if (Files.exists(ckpt)) {
                    try {
                        seen.add(TrainingCheckpoint.read(ckpt).state().optimizerStep());
                    } catch (java.io.IOException replacedWhileReading) {
                        // renamed over between opening and reading: read the next one
                    }
                }
                Thread.sleep(1);
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(!seen.isEmpty() && !Files.exists(killedOut), "the process must be killed mid-run after a checkpoint; saw checkpoints "
                + seen + ", log:\n" + Files.readString(dir.resolve("killed.log")));
        for (long step : seen) {
            assertTrue(step % EVERY == 0 || step % STEPS_PER_EPOCH == 0, "checkpoint at optimizer step " + step
                    + ": expected every " + EVERY + " steps or at an epoch's end");
        }
        long saved = TrainingCheckpoint.read(ckpt).state().optimizerStep();
        assertTrue(saved >= EVERY && saved < TOTAL, "the last checkpoint is of step " + saved);

        Path resumedOut = dir.resolve("resumed.safetensors");
        Object[] resumed = run(trainArgs(model, data, resumedOut, ckpt, true).toArray(String[]::new));
        assertEquals(0, resumed[0], (String) resumed[1]);
        String report = "resumed from " + ckpt + " at optimizer step " + saved + "; ran " + (TOTAL - saved) + " more";
        assertTrue(((String) resumed[1]).contains(report), "train --resume must say '" + report + "', it printed:\n" + resumed[1]);
        assertTrue(((String) resumed[1]).contains(TOTAL + " optimizer steps"), resumed[1].toString());
        assertTrue(Files.readString(Path.of(resumedOut + ".json")).contains("\"resumed_from_step\":" + saved), "run record names the resume step");

        Path freshOut = dir.resolve("fresh.safetensors");
        Object[] fresh = run(trainArgs(model, data, freshOut, dir.resolve("fresh.ckpt"), false).toArray(String[]::new));
        assertEquals(0, fresh[0], (String) fresh[1]);
        float[] want = ModelFiles.load(freshOut, new RefBackend()).parameters().toArray();
        float[] got = ModelFiles.load(resumedOut, new RefBackend()).parameters().toArray();
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail("parameter " + i + " after kill and --resume is " + got[i] + ", uninterrupted " + want[i]);
            }
        }
    }
}
