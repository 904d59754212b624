package io.piece4j.tests;

import io.piece4j.piece.train.TrainingCheckpoint;
import io.piece4j.tensor.Rng;
import io.piece4j.tests.ResumeTrainingMain.Run;
import io.piece4j.tests.ResumeTrainingMain.Size;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A training process killed (SIGKILL) between optimizer steps, or in the middle of writing a checkpoint, and
 * resumed from its last complete checkpoint ends with weights bit-identical to a run that was never interrupted.
 * The resumed run starts from other initial weights than the killed one, so a resume that ignored the checkpoint
 * (and trained from scratch, which deterministic training would reproduce) ends elsewhere; it must also report
 * that it resumed, from which step, and how many steps it ran itself.
 */
class KillAndResumeTest {
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }

    private static Process start(Size size, Path ckpt, long sleepMillis) throws IOException {
        return new ProcessBuilder(JAVA, "-cp", System.getProperty("java.class.path"), ResumeTrainingMain.class.getName(),
                size.name(), ckpt.toString(), Long.toString(sleepMillis)).redirectErrorStream(true).start();
    }

    /** Resumes in this JVM from OTHER_SEED weights and checks the run's own report against the checkpoint it found. */
    private static Run resumeAndCheckReport(Size size, Path ckpt) throws IOException {
        long saved = TrainingCheckpoint.read(ckpt).state().optimizerStep();
        Run resumed = ResumeTrainingMain.train(size, ckpt, true, ResumeTrainingMain.OTHER_SEED, 0);
        int total = ResumeTrainingMain.totalSteps();
        assertTrue(resumed.result().resumed(), "the run must report that it resumed from " + ckpt);
        assertEquals(saved, resumed.result().startStep(), "the run must start at the checkpoint's optimizer step");
        assertEquals(total - saved, resumed.result().stepsRun(), "steps the resumed run made itself");
        assertEquals(total, resumed.result().steps(), "optimizer steps in all");
        assertEquals(total, resumed.result().losses().size(), "one loss per step, those before the kill included");
        return resumed;
    }

    @Test
    void runKilledBetweenStepsResumesFromItsCheckpointToBitIdenticalWeights() throws Exception {
        Path dir = Files.createTempDirectory("resume");
        Path ckpt = dir.resolve("run.ckpt");
        int totalSteps = ResumeTrainingMain.totalSteps();
        int killAt = 2 + new Rng(System.nanoTime()).nextInt(totalSteps - 4); // a random step, never the last ones
        Process p = start(Size.SMALL, ckpt, 150);
        int seen = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("step ")) seen = Integer.parseInt(line.substring(5).trim());
                if (seen >= killAt) break;
            }
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(seen >= killAt && seen < totalSteps, "the process should be killed mid-run at step " + killAt + ", it reached " + seen);
        assertTrue(Files.exists(ckpt), "a checkpoint must exist after " + seen + " steps");
        long saved = TrainingCheckpoint.read(ckpt).state().optimizerStep();
        assertTrue(saved >= killAt - 1 && saved < totalSteps, "checkpoint of step " + saved + " after the kill at step " + seen);

        Run resumed = resumeAndCheckReport(Size.SMALL, ckpt);
        Run uninterrupted = ResumeTrainingMain.train(Size.SMALL, dir.resolve("fresh.ckpt"), false, ResumeTrainingMain.TRAINED_SEED, 0);
        assertArrayEquals(bits(uninterrupted.params()), bits(resumed.params()),
                "killed at step " + seen + " and resumed from the checkpoint of step " + saved + ": weights must be bit-identical");
        assertEquals(uninterrupted.result().losses(), resumed.result().losses(), "the loss history, restored and continued");

        // the control: without the checkpoint, the other initial weights end elsewhere
        Run scratch = ResumeTrainingMain.train(Size.SMALL, dir.resolve("other.ckpt"), false, ResumeTrainingMain.OTHER_SEED, 0);
        assertFalse(java.util.Arrays.equals(bits(uninterrupted.params()), bits(scratch.params())),
                "training from the other initial weights must not reach the same weights, or this test could not tell a resume from a restart");
    }

    private static List<Path> temporaryFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    /**
     * Kills the LARGE run the moment a checkpoint's temporary file appears while an earlier checkpoint exists, and
     * retries (resuming) until the kill lands before the rename: the half-written temporary file is then left behind.
     */
    private static void killDuringACheckpointWrite(Path dir, Path ckpt) throws Exception {
        for (int attempt = 1; attempt <= 8; attempt++) {
            Process p = start(Size.LARGE, ckpt, 0);
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (p.isAlive() && System.nanoTime() < deadline) {
                    if (Files.exists(ckpt) && !temporaryFiles(dir).isEmpty()) {
                        p.destroyForcibly(); // SIGKILL: no cleanup, no rename
                        break;
                    }
                    Thread.onSpinWait();
                }
            } finally {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            if (!temporaryFiles(dir).isEmpty()) return;
            if (TrainingCheckpoint.read(ckpt).state().optimizerStep() >= ResumeTrainingMain.totalSteps() - 1) break;
        }
        fail("could not kill the training process during a checkpoint write");
    }

    @Test
    void runKilledDuringACheckpointWriteResumesFromThePreviousCheckpoint() throws Exception {
        Path dir = Files.createTempDirectory("resume-write");
        Path ckpt = dir.resolve("run.ckpt");
        killDuringACheckpointWrite(dir, ckpt);
        long saved = TrainingCheckpoint.read(ckpt).state().optimizerStep(); // its CRCs are checked on reading
        assertTrue(saved >= 1 && saved < ResumeTrainingMain.totalSteps(), "the complete checkpoint is of step " + saved);

        Run resumed = resumeAndCheckReport(Size.LARGE, ckpt);
        Run uninterrupted = ResumeTrainingMain.train(Size.LARGE, dir.resolve("fresh.ckpt"), false, ResumeTrainingMain.TRAINED_SEED, 0);
        assertArrayEquals(bits(uninterrupted.params()), bits(resumed.params()),
                "killed while writing a checkpoint and resumed from the complete one of step " + saved + ": weights must be bit-identical");
    }
}
