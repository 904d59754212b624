package io.piece4j.tests;

import io.piece4j.tensor.Rng;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A training process killed at a random step and resumed from its last checkpoint ends with weights
 * bit-identical to a run that was never interrupted.
 */
class KillAndResumeTest {
    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }

    @Test
    void killedRunResumesToBitIdenticalWeights() throws Exception {
        Path dir = Files.createTempDirectory("resume");
        Path ckpt = dir.resolve("run.ckpt");
        int totalSteps = ResumeTrainingMain.EPOCHS * ResumeTrainingMain.BATCHES / 2;
        int killAt = 2 + new Rng(System.nanoTime()).nextInt(totalSteps - 4); // a random step, never the last ones
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ResumeTrainingMain.class.getName(), ckpt.toString(), "150").redirectErrorStream(true).start();
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

        float[] resumed = ResumeTrainingMain.train(ckpt, true, 0);
        float[] uninterrupted = ResumeTrainingMain.train(dir.resolve("fresh.ckpt"), false, 0);
        assertArrayEquals(bits(uninterrupted), bits(resumed), "killed at step " + killAt + " and resumed: weights must be bit-identical");
    }
}
