package io.piece4j.piece.bundled;

import io.piece4j.nn.json.JsonReader;
import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.BadRecordPolicy;
import io.piece4j.piece.data.TaskReader;
import io.piece4j.piece.data.TaskRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundled benchmark: deterministic from its seed, well-formed, and its records fit the base model. */
class BundledBenchmarkTest {
    /** Small sizes for the byte-level comparisons: the same code paths, a fraction of the bytes. */
    private static final BundledBenchmark.Sizes SMALL = new BundledBenchmark.Sizes(40, 10, 10, 60_000, 8_000, 4_000, 30);
    private static Path defaults;

    @BeforeAll
    static void generateDefaults() throws Exception {
        defaults = Files.createTempDirectory("bundled-default");
        BundledBenchmark.generate(BundledBenchmark.DEFAULT_SEED, defaults);
    }

    /** SHA-256 of every file under dir, by relative path. */
    private static Map<String, String> digests(Path dir) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(f).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))));
            }
        }
        return out;
    }

    @Test
    void generatingTwiceWritesTheSameBytes() throws Exception {
        Path a = Files.createTempDirectory("bundled-a"), b = Files.createTempDirectory("bundled-b");
        BundledBenchmark.generate(2026, a, SMALL);
        BundledBenchmark.generate(2026, b, SMALL);
        Map<String, String> da = digests(a), db = digests(b);
        int tasks = BundledTasks.all(BundledBenchmark.world(2026)).size();
        assertEquals(1 + 2 + 2 + 3 * tasks, da.size(), "suite.json, corpus/{train,heldout}.txt, probe/{heldout.txt,skills.jsonl}, 3 splits per task: " + da.keySet());
        assertEquals(da, db, "file digests of two generations from seed 2026");
    }

    @Test
    void anotherSeedChangesEveryFile() throws Exception {
        Path a = Files.createTempDirectory("bundled-a"), b = Files.createTempDirectory("bundled-b");
        BundledBenchmark.generate(2026, a, SMALL);
        BundledBenchmark.generate(2027, b, SMALL);
        Map<String, String> da = digests(a), db = digests(b);
        assertEquals(da.keySet(), db.keySet());
        for (String f : da.keySet()) assertNotEquals(da.get(f), db.get(f), f + " is the same for seeds 2026 and 2027");
    }

    @Test
    void changingTaskSizesLeavesTheCorpusAndProbeAlone() throws Exception {
        Path a = Files.createTempDirectory("bundled-a"), b = Files.createTempDirectory("bundled-b");
        BundledBenchmark.generate(2026, a, SMALL);
        BundledBenchmark.generate(2026, b, SMALL.withTasks(15, 3, 7));
        Map<String, String> da = digests(a), db = digests(b);
        for (String f : List.of("corpus/train.txt", "corpus/heldout.txt", "probe/heldout.txt", "probe/skills.jsonl")) {
            assertEquals(da.get(f), db.get(f), f + " must depend on the seed and its own size only");
        }
    }

    @Test
    void theSuiteNamesEveryTasksFilesAndMetricsTheRunnerKnows() throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> suite = (Map<String, Object>) JsonReader.parse(Files.readString(defaults.resolve("suite.json")));
        assertEquals("piece4j-bundled", suite.get("name"));
        assertEquals(2026L, suite.get("seed"));
        assertEquals("byte", suite.get("tokenizer"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> tasks = (List<Map<String, Object>>) suite.get("tasks");
        assertTrue(tasks.size() >= 6, "at least six tasks, got " + tasks.size());
        Set<String> domains = new HashSet<>();
        for (Map<String, Object> t : tasks) {
            TaskMetric.parse((String) t.get("metric")); // throws on a name the runner does not know
            domains.add((String) t.get("domain"));
            for (String split : List.of("train", "valid", "test")) {
                List<TaskRecord> records = TaskReader.read(defaults.resolve((String) t.get(split)), BadRecordPolicy.REJECT).records();
                int expected = split.equals("train") ? 400 : 100;
                assertEquals(expected, records.size(), t.get("name") + "/" + split + " records");
            }
            assertTrue(((Long) t.get("max_new_tokens")) > 0);
        }
        assertEquals(tasks.size(), domains.size(), "every task has its own domain");
        @SuppressWarnings("unchecked")
        Map<String, Object> probe = (Map<String, Object>) suite.get("probe");
        assertEquals("exact-match", probe.get("skills_metric"));
        assertEquals("skills", probe.get("primary"));
        assertTrue(Files.size(defaults.resolve((String) probe.get("heldout"))) > 10_000);
        assertEquals(120, TaskReader.read(defaults.resolve((String) probe.get("skills")), BadRecordPolicy.REJECT).records().size());
    }

    @Test
    void everyRecordFitsTheContextAndNoPromptIsInTwoSplits() throws Exception {
        for (BundledTasks.Task task : BundledTasks.all(BundledBenchmark.world(2026))) {
            Set<String> prompts = new HashSet<>();
            int longestAnswer = 0;
            for (String split : List.of("train", "valid", "test")) {
                for (TaskRecord r : TaskReader.read(defaults.resolve(task.name() + "/" + split + ".jsonl"), BadRecordPolicy.REJECT).records()) {
                    int tokens = 1 + (r.prompt() + r.answer()).getBytes(StandardCharsets.UTF_8).length + 1;
                    assertTrue(tokens <= BundledBenchmark.CONTEXT, task.name() + ": BOS + prompt + answer + EOS = " + tokens + " tokens > "
                            + BundledBenchmark.CONTEXT + ": " + r.prompt());
                    assertTrue(prompts.add(r.prompt()), task.name() + ": prompt in two records: " + r.prompt());
                    longestAnswer = Math.max(longestAnswer, r.answer().getBytes(StandardCharsets.UTF_8).length);
                }
            }
            assertTrue(longestAnswer <= task.maxNewTokens(), task.name() + ": an answer of " + longestAnswer
                    + " tokens does not fit max_new_tokens " + task.maxNewTokens());
        }
    }

    @Test
    void probeSkillsAreQuestionLinesOfTheCorpusAndProbeTextIsNotInIt() throws Exception {
        String corpus = Files.readString(defaults.resolve("corpus/train.txt"));
        Set<String> documents = new HashSet<>(List.of(corpus.split("\n\n")));
        List<TaskRecord> skills = TaskReader.read(defaults.resolve("probe/skills.jsonl"), BadRecordPolicy.REJECT).records();
        Set<String> kinds = new HashSet<>();
        for (TaskRecord r : skills) {
            assertTrue(r.prompt().startsWith("Q: ") && r.prompt().endsWith(" A:"), "the corpus's Q/A format: " + r.prompt());
            assertTrue(documents.contains(r.prompt() + r.answer()), "the base learned this line in pretraining: " + r.prompt() + r.answer());
            kinds.add(r.prompt().substring(0, 12));
        }
        assertTrue(kinds.size() >= 6, "questions of several kinds: " + kinds);
        String heldout = Files.readString(defaults.resolve("probe/heldout.txt"));
        int stories = 0;
        for (String doc : heldout.split("\n\n")) {
            assertFalse(documents.contains(doc), "a held-out document is in the training corpus: " + doc);
            if (doc.length() >= 150) stories++;
        }
        assertTrue(stories > 20, "the held-out text has stories, not only short lines: " + stories);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theDefaultCorpusIsTheOneTheCommittedBaseWasPretrainedOn() throws Exception {
        Map<String, Object> record = (Map<String, Object>) JsonReader.parse(BundledBase.record());
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(defaults.resolve("corpus/train.txt"))));
        assertEquals(record.get("corpus_sha256"), digest, "corpus/train.txt of seed 2026 must stay the bytes the committed base learned");
    }

    @Test
    void theWorldHasNoPersonWhoIsTheirOwnFriendAndNamesAreUnique() {
        World w = BundledBenchmark.world(2026);
        Set<String> names = new HashSet<>();
        for (World.Person p : w.people()) {
            assertNotEquals(p, w.friendOf(p), p.name() + " is their own friend");
            assertTrue(names.add(p.first()), "first name used twice: " + p.first());
        }
        for (World.Town t : w.towns()) assertTrue(names.add(t.name()), "town name is also a person's: " + t.name());
        assertFalse(w.facts().isEmpty());
    }
}
