package io.piece4j.tests;

import io.piece4j.nn.json.JsonReader;
import io.piece4j.tensor.Rng;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `piece pretrain` as users run it: from a random start on a text file, with a run record, stop and resume. */
class PretrainCommandTest {
    /** Runs `piece args...` in-process: exit code, stdout, stderr. */
    private static Object[] run(String... args) {
        PieceRun r = PieceRun.of(args);
        return new Object[] {r.exitCode(), r.out(), r.err()};
    }

    /** Paragraphs of a small repetitive language: learnable in a few steps. */
    private static Path corpus(Path dir, String name, long seed) throws Exception {
        Rng rng = new Rng(seed);
        String[] words = {"the cat", "a dog", "sees", "likes", "the bird", "a fox"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            sb.append(words[rng.nextInt(2)]).append(' ').append(words[2 + rng.nextInt(2)]).append(' ').append(words[4 + rng.nextInt(2)]).append(".\n\n");
        }
        Path f = dir.resolve(name);
        Files.writeString(f, sb.toString());
        return f;
    }

    private static String[] args(Path corpus, Path heldout, Path out, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("pretrain", "--config", "tiny", "--corpus", corpus.toString(),
                "--heldout", heldout.toString(), "--steps", "8", "--batch", "2", "--seq", "32", "--lr", "3e-3", "--warmup", "2",
                "--seed", "5", "--backend", "ref", "--checkpoint-every", "3", "--out", out.toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> record(Path out) throws Exception {
        return (Map<String, Object>) JsonReader.parse(Files.readString(Path.of(out + ".json")));
    }

    @Test
    void fromScratchItLearnsAndRecordsEveryStepsLossTheCommandAndTheEnvironment() throws Exception {
        Path dir = Files.createTempDirectory("pretrain");
        Path out = dir.resolve("m.safetensors");
        Object[] r = run(args(corpus(dir, "train.txt", 1), corpus(dir, "heldout.txt", 2), out));
        assertEquals(0, r[0], r[1] + "\n" + r[2]);
        Map<String, Object> rec = record(out);
        List<Object> losses = (List<Object>) rec.get("losses");
        assertEquals(8, losses.size(), "one loss per optimizer step");
        double first = (Double) losses.get(0), last = (Double) losses.get(7);
        assertTrue(first > 5.0 && first < 6.0, "a random start scores about ln(259) = 5.56 nats, got " + first);
        assertTrue(last < first - 0.5, "the loss falls on a small repetitive language: " + first + " -> " + last);
        double nll = (Double) rec.get("heldout_nll");
        assertTrue(nll < first, "held-out NLL " + nll + " is below the random start's " + first);
        assertTrue(((String) rec.get("command_line")).startsWith("piece pretrain --config tiny --corpus "), (String) rec.get("command_line"));
        for (String field : List.of("seed", "config", "corpus_sha256", "git_commit", "jdk", "backend", "backend_description", "threads",
                "weights_sha256", "weights_sha256_after_step", "settings")) {
            assertTrue(rec.get(field) != null, "the record holds " + field);
        }
        assertEquals(5L, rec.get("seed"));
        assertEquals(32L, ((Map<String, Object>) rec.get("config")).get("dim"));
        assertEquals(3, ((Map<String, Object>) rec.get("weights_sha256_after_step")).size(), "weights hashed after steps 1-3");
    }

    @Test
    void stopAfterThenResumeEqualsOneUninterruptedRun() throws Exception {
        Path dir = Files.createTempDirectory("pretrain");
        Path train = corpus(dir, "train.txt", 1), heldout = corpus(dir, "heldout.txt", 2);
        Path whole = dir.resolve("whole.safetensors"), part = dir.resolve("part.safetensors");
        assertEquals(0, run(args(train, heldout, whole))[0]);
        Object[] stopped = run(args(train, heldout, part, "--stop-after", "3"));
        assertEquals(0, stopped[0], (String) stopped[2]);
        List<Object> wholeLosses = (List<Object>) record(whole).get("losses");
        assertEquals(wholeLosses.subList(0, 3), record(part).get("losses"), "the first 3 steps of the 8-step schedule");
        assertEquals(record(whole).get("weights_sha256_after_step"), record(part).get("weights_sha256_after_step"));
        Object[] resumed = run(args(train, heldout, part, "--resume"));
        assertEquals(0, resumed[0], (String) resumed[2]);
        assertTrue(((String) resumed[1]).contains("(resumed)"), (String) resumed[1]);
        assertEquals(wholeLosses, record(part).get("losses"), "losses of every step");
        assertEquals(record(whole).get("weights_sha256"), record(part).get("weights_sha256"));
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(part), "the model files");
    }

    @Test
    void aBadConfigIsOneLineNamingTheKeyAndNothingIsWritten() throws Exception {
        Path dir = Files.createTempDirectory("pretrain");
        Path out = dir.resolve("m.safetensors");
        Object[] r = run("pretrain", "--config", "dim=32,layers=2,heads=4,hiddn=48,seq=64", "--corpus", corpus(dir, "t.txt", 1).toString(),
                "--steps", "2", "--backend", "ref", "--out", out.toString());
        assertEquals(2, r[0]);
        String err = ((String) r[2]).strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains("'hiddn'"), err);
        assertFalse(Files.exists(out));
    }
}
