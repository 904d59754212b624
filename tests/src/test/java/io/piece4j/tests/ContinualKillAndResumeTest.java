package io.piece4j.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A continual run killed with SIGKILL in the middle of its second task and resumed gives a results.json
 * whose numbers equal an uninterrupted run's; the resumed run repeats neither the finished task nor the
 * finished steps of the interrupted one.
 */
class ContinualKillAndResumeTest {
    @Test
    void killedInTheMiddleOfATaskAndResumedGivesTheUninterruptedNumbers() throws Exception {
        ContinualFixture f = ContinualFixture.create();
        Path killed = f.dir.resolve("killed"), fresh = f.dir.resolve("fresh");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                ContinualRunMain.class.getName(), f.dir.toString(), killed.toString(), "false").redirectErrorStream(true).start();
        String last = "";
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                last = line;
                // "progress piece-s_seed_1 1 train 3": the third optimizer step of the second task of the first method
                String[] w = line.split(" ");
                if (w.length == 5 && w[0].equals("progress") && w[1].equals("piece-s_seed_1") && w[2].equals("1") && w[3].equals("train")
                        && Integer.parseInt(w[4]) >= 3) break;
            }
            p.destroyForcibly();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the killed process ends");
        }
        assertTrue(last.contains("piece-s_seed_1 1 train"), "the process should be killed in task 2's training, last line: " + last);
        Path runDir = killed.resolve("runs/piece-s/seed-1");
        assertTrue(Files.exists(runDir.resolve("task-1.ckpt")), "an in-task checkpoint exists at the kill");
        assertFalse(Files.exists(killed.resolve("results.json")) && Files.readString(killed.resolve("results.json")).contains("\"seqft\""),
                "the kill came before the second method started");

        List<String> resumedEvents = new ArrayList<>();
        try (Backend be = Backends.create("simd", 1)) {
            new ContinualRun(f.spec(ContinualRunMain.METHODS, killed, true, false), be)
                    .onProgress(e -> resumedEvents.add(e.run() + " " + e.task() + " " + e.phase() + " " + e.done())).run();
            new ContinualRun(f.spec(ContinualRunMain.METHODS, fresh, false, false), be).run();
        }
        assertFalse(resumedEvents.stream().anyMatch(e -> e.startsWith("piece-s seed 1 0 ")), "the finished first task is not run again");
        String firstTrain = resumedEvents.stream().filter(e -> e.startsWith("piece-s seed 1 1 train")).findFirst().orElseThrow();
        assertTrue(Integer.parseInt(firstTrain.substring(firstTrain.lastIndexOf(' ') + 1)) > 1,
                "training of the second task continues from its checkpoint, not from step 1: " + firstTrain);

        ObjectMapper om = new ObjectMapper();
        JsonNode a = om.readTree(killed.resolve("results.json").toFile()), b = om.readTree(fresh.resolve("results.json").toFile());
        for (String m : ContinualRunMain.METHODS) {
            for (String field : new String[] {"R", "answer_loss", "probe", "probes", "OP", "BWT", "BWT_original", "FWT", "trainable_fraction"}) {
                assertEquals(b.at("/methods/" + m + "/" + field), a.at("/methods/" + m + "/" + field), m + "." + field + " after kill and resume");
            }
            for (String field : new String[] {"train_losses", "changed_parameters", "trained_coordinates", "probes"}) {
                assertEquals(b.at("/methods/" + m + "/per_seed/0/" + field), a.at("/methods/" + m + "/per_seed/0/" + field),
                        m + ".per_seed." + field + " after kill and resume");
            }
        }
    }
}
