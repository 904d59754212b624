package io.piece4j.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.piece4j.cli.PieceCli;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.continual.methods.MethodCatalog;
import io.piece4j.piece.train.TrainingCheckpoint;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * EWC, LwF, GEM, Replay and Replay-online through `piece continual` on the tiny fixture suite: they finish,
 * train every parameter, the report says which see old data, a crash in the middle of a task resumes to
 * the uninterrupted numbers (EWC's Fisher and anchor, the memories and the frozen copy are rebuilt or
 * reloaded), and bad settings fail before anything is written.
 */
class ContinualBaselinesTest {
    static final List<String> METHODS = List.of("ewc", "lwf", "gem", "replay", "replay-online");
    private static ContinualFixture fixture;
    private static Path cliOut;
    private static JsonNode cliResults;

    /** Runs `piece continual` with the given extra arguments; returns {exit code, stderr}. */
    private static Object[] continual(Path out, String... extra) {
        var cl = PieceCli.commandLine();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        List<String> args = new ArrayList<>(List.of("continual", "--model", fixture.model.toString(), "--tokenizer", "byte",
                "--suite", fixture.suite.toString(), "--epochs", "1", "--batch", "4", "--lr", "1e-2", "--probe-samples", "2",
                "--out", out.toString(), "--backend", "simd", "--threads", "2"));
        args.addAll(List.of(extra));
        PrintStream oldOut = System.out;
        int code;
        try (PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
            System.setOut(quiet);
            code = cl.execute(args.toArray(String[]::new));
        } finally {
            System.setOut(oldOut);
        }
        return new Object[] {code, err.toString(StandardCharsets.UTF_8)};
    }

    @BeforeAll
    static void runThroughTheCommandLine() throws Exception {
        fixture = ContinualFixture.create();
        cliOut = fixture.dir.resolve("cli");
        Object[] r = continual(cliOut, "--methods", String.join(",", METHODS), "--method-setting", "replay.fraction=0.25",
                "--method-setting", "gem.memory=4");
        assertEquals(0, r[0], "piece continual failed: " + r[1]);
        cliResults = new ObjectMapper().readTree(cliOut.resolve("results.json").toFile());
    }

    @Test
    void everyMethodFinishesTheSuiteAndTrainsEveryParameter() throws Exception {
        ParameterLayout layout = ModelFiles.load(fixture.model, new RefBackend()).layout();
        for (String m : METHODS) {
            JsonNode j = cliResults.at("/methods/" + m);
            assertTrue(j.get("complete").asBoolean(), m + " finished");
            assertEquals(3, j.get("R").size(), m + ": a row of R per task");
            assertEquals(1.0, j.get("trainable_fraction").asDouble(), 1e-12, m + " trains every parameter");
            for (int t = 0; t < 3; t++) {
                long changed = j.at("/per_seed/0/changed_parameters/" + t).asLong();
                assertTrue(changed > layout.size() / 2, m + " task " + t + ": " + changed + " of " + layout.size() + " parameters changed");
            }
            assertTrue(j.at("/per_seed/0/train_losses/2").size() > 0, m + ": losses of the last task");
        }
    }

    @Test
    void reportSaysWhichMethodsSeeOldData() throws Exception {
        Set<String> old = Set.of("gem", "replay", "replay-online");
        String md = Files.readString(cliOut.resolve("report.md"));
        for (String m : METHODS) {
            assertEquals(old.contains(m), cliResults.at("/methods/" + m + "/sees_old_data").asBoolean(), m + ": sees_old_data in results.json");
            String row = md.lines().filter(l -> l.startsWith("| " + m + " |") && l.contains("parameters")).findFirst()
                    .orElseThrow(() -> new AssertionError("report.md has no method row for " + m));
            assertTrue(row.contains(old.contains(m) ? "| yes |" : "| no |"), m + ": the report's sees-old-data column: " + row);
        }
    }

    @Test
    void replayTrainsOnMoreBatchesThanTheTaskAlone() {
        // 24 records per task in batches of 4: 6 steps; replay adds floor(0.25 * 24) = 6 examples of each earlier task
        int[] expectedReplay = {6, 6 + 2, 6 + 3}, expectedOnline = {6, 8, 9};
        for (int t = 0; t < 3; t++) {
            assertEquals(6, cliResults.at("/methods/ewc/per_seed/0/train_losses/" + t).size(), "ewc steps of task " + t);
            assertEquals(expectedReplay[t], cliResults.at("/methods/replay/per_seed/0/train_losses/" + t).size(), "replay steps of task " + t);
            assertEquals(expectedOnline[t], cliResults.at("/methods/replay-online/per_seed/0/train_losses/" + t).size(),
                    "replay-online steps of task " + t);
        }
    }

    @Test
    void allRunsEveryBaseline() {
        List<String> all = MethodCatalog.expand(List.of("all"));
        for (String m : METHODS) assertTrue(all.contains(m), "--methods all includes " + m + ": " + all);
    }

    /** Thrown from the progress listener: the run stops as a crash would, after the trainer's last checkpoint. */
    private static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash() { super("simulated crash"); }
    }

    @Test
    void aCrashInTheMiddleOfTheSecondTaskResumesToTheUninterruptedNumbers() throws Exception {
        Path crashed = fixture.dir.resolve("crashed"), fresh = fixture.dir.resolve("fresh");
        Set<String> crashedOnce = new HashSet<>();
        int crashes = 0;
        try (Backend be = Backends.create("simd", 2)) {
            while (true) {
                try {
                    new ContinualRun(fixture.spec(METHODS, crashed, true, false), be).onProgress(p -> {
                        if (p.task() == 1 && p.phase().equals("train") && p.done() >= 3 && crashedOnce.add(p.run())) throw new SimulatedCrash();
                    }).run();
                    break;
                } catch (SimulatedCrash e) {
                    crashes++;
                }
            }
            new ContinualRun(fixture.spec(METHODS, fresh, false, false), be).run();
        }
        assertEquals(METHODS.size(), crashes, "each method was interrupted once in its second task");
        for (String m : METHODS) {
            // the state of the first task was written before the crash (EWC: Fisher and anchor)
            assertTrue(Files.exists(crashed.resolve("runs").resolve(m).resolve("seed-1").resolve("model-after-3.ckpt")), m + " finished");
        }
        ObjectMapper om = new ObjectMapper();
        JsonNode a = om.readTree(crashed.resolve("results.json").toFile()), b = om.readTree(fresh.resolve("results.json").toFile());
        for (String m : METHODS) {
            for (String field : new String[] {"R", "answer_loss", "probe", "probes", "OP", "BWT", "FWT"}) {
                assertEquals(b.at("/methods/" + m + "/" + field), a.at("/methods/" + m + "/" + field), m + "." + field + " after crash and resume");
            }
            for (String field : new String[] {"train_losses", "changed_parameters"}) {
                assertEquals(b.at("/methods/" + m + "/per_seed/0/" + field), a.at("/methods/" + m + "/per_seed/0/" + field),
                        m + ".per_seed." + field + " after crash and resume");
            }
            float[] x = TrainingCheckpoint.read(crashed.resolve("runs").resolve(m).resolve("seed-1").resolve("model-after-3.ckpt")).params();
            float[] y = TrainingCheckpoint.read(fresh.resolve("runs").resolve(m).resolve("seed-1").resolve("model-after-3.ckpt")).params();
            assertTrue(java.util.Arrays.equals(x, y), m + ": the final weights are bit-identical");
        }
    }

    @Test
    void badSettingsFailWithOneLineBeforeAnythingIsWritten() {
        String[][] cases = {
                {"ewc", "ewc.lambda=-1", "ewc.lambda"},
                {"replay", "replay.fraction=0", "replay.fraction"},
                {"replay-online", "replay.fraction=1.5", "replay.fraction"},
                {"lwf", "lwf.temperature=0", "lwf.temperature"},
                {"gem", "gem.memory=0", "gem.memory"},
                {"ewc", "ewc.lamda=400", "ewc.lamda"}};
        for (String[] c : cases) {
            Path out = fixture.dir.resolve("bad-" + c[1].replace('=', '_'));
            Object[] r = continual(out, "--methods", "seqft," + c[0], "--method-setting", c[1]);
            String err = (String) r[1];
            assertEquals(2, r[0], c[1] + ": exit code for a user's mistake; stderr: " + err);
            assertEquals(1, err.strip().lines().count(), c[1] + ": one line: " + err);
            assertTrue(err.contains(c[2]), c[1] + ": the message names the setting: " + err);
            assertFalse(Files.exists(out), c[1] + ": nothing is written to the output folder");
        }
    }
}
