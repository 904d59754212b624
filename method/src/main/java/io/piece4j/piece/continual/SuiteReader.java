package io.piece4j.piece.continual;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.BadRecordPolicy;
import io.piece4j.piece.data.TaskReader;
import io.piece4j.piece.data.TaskRecord;
import io.piece4j.tensor.Rng;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a suite in full and checks it before anything is trained: a {@code suite.json} (or a folder
 * holding one), or the TRACE benchmark's layout with {@code trace:DIR} ({@code DIR/TASK/train.json},
 * {@code test.json}, optionally {@code eval.json}, each task scored with its standard metric).
 *
 * <p>suite.json: {@code {"name", "tokenizer"?, "tasks": [{"name", "domain"?, "train", "valid"?, "test",
 * "metric", "max_new_tokens", "max_prompt_tokens"?, "max_answer_tokens"?}], "probe"?: {"heldout"?,
 * "skills"?, "skills_metric"?, "skills_max_new_tokens"?, "primary"?}}}; paths are relative to the file.
 * Every problem is one {@link SuiteException} naming the file and the field.
 */
public final class SuiteReader {
    /** TRACE's eight tasks in the order PIECE trains them. */
    public static final List<String> TRACE_ORDER = List.of("C-STANCE", "FOMC", "MeetingBank", "ScienceQA", "NumGLUE-cm",
            "NumGLUE-ds", "20Minuten", "Py150");

    /** Each TRACE task's metric and decoding limit, as the original evaluation scores it. */
    private record TraceDefaults(TaskMetric metric, int maxNewTokens, String domain) {}

    private static final Map<String, TraceDefaults> TRACE = Map.of(
            "C-STANCE", new TraceDefaults(TaskMetric.ACCURACY_LETTER, 8, "Chinese stance detection, 3 classes"),
            "FOMC", new TraceDefaults(TaskMetric.ACCURACY_LETTER, 8, "monetary policy stance, 3 classes"),
            "MeetingBank", new TraceDefaults(TaskMetric.BLEU_ROUGE, 256, "meeting summarisation"),
            "ScienceQA", new TraceDefaults(TaskMetric.ACCURACY_LETTER, 128, "science multiple choice with rationale"),
            "NumGLUE-cm", new TraceDefaults(TaskMetric.ACCURACY_NUMBER, 32, "arithmetic word problems (commonsense)"),
            "NumGLUE-ds", new TraceDefaults(TaskMetric.ACCURACY_NUMBER, 32, "arithmetic word problems (domain specific)"),
            "20Minuten", new TraceDefaults(TaskMetric.BLEU_ROUGE, 256, "German text simplification"),
            "Py150", new TraceDefaults(TaskMetric.PY150_SIMILARITY, 64, "Python next-line completion"));

    /**
     * What to take from a suite.
     *
     * @param tasks    task names to keep, in the order to train them (empty = all, in the suite's order)
     * @param maxTrain keep at most this many training records per task (0 = all), drawn with seed
     * @param maxTest  keep at most this many test (and validation) records per task (0 = all), drawn with seed
     * @param seed     for the subsampling; the kept records stay in file order
     */
    public record Options(List<String> tasks, int maxTrain, int maxTest, long seed) {
        public Options {
            tasks = List.copyOf(tasks);
            if (maxTrain < 0 || maxTest < 0) throw new SuiteException("--max-train and --max-test must be >= 0 (0 = all), got "
                    + maxTrain + " and " + maxTest);
        }

        public static Options all() { return new Options(List.of(), 0, 0, 1); }
    }

    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private SuiteReader() {}

    /** {@code trace:DIR}, a suite.json file, or a folder with a suite.json. */
    public static Suite read(String spec, Options options) {
        if (spec.startsWith("trace:")) return readTrace(Path.of(spec.substring("trace:".length())), options);
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) p = p.resolve("suite.json");
        return readSuiteJson(p, options);
    }

    // ---------------------------------------------------------------- suite.json

    /** A task entry as written, before its files are read. */
    private record TaskEntry(String name, String domain, String train, String valid, String test, TaskMetric metric,
                             int maxNewTokens, int maxPromptTokens, int maxAnswerTokens) {}

    public static Suite readSuiteJson(Path file, Options options) {
        if (!Files.isRegularFile(file)) throw new SuiteException(file + ": no such suite file (expected a suite.json or a folder holding one)");
        String name = null, tokenizer = null;
        List<TaskEntry> entries = null;
        Map<String, Object> probe = null;
        try (JsonParser p = JSON.createParser(file.toFile())) {
            expect(p, p.nextToken() == JsonToken.START_OBJECT, file, "document", "a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken t = p.nextToken();
                switch (f) {
                    case "name" -> name = string(p, t, file, "name");
                    case "tokenizer" -> tokenizer = string(p, t, file, "tokenizer");
                    case "tasks" -> {
                        expect(p, t == JsonToken.START_ARRAY, file, "tasks", "an array of task objects");
                        entries = new ArrayList<>();
                        while (p.nextToken() != JsonToken.END_ARRAY) entries.add(taskEntry(p, file, "tasks[" + entries.size() + "]"));
                    }
                    case "probe" -> {
                        expect(p, t == JsonToken.START_OBJECT, file, "probe", "a JSON object");
                        probe = flatObject(p, file, "probe");
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (JsonProcessingException e) {
            throw new SuiteException(file + ": malformed JSON at line " + e.getLocation().getLineNr() + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new SuiteException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (name == null || name.isBlank()) throw new SuiteException(file + ": field 'name' is missing: expected the suite's name");
        if (entries == null || entries.isEmpty()) throw new SuiteException(file + ": field 'tasks' is missing or empty: expected at least one task");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < entries.size(); i++) {
            if (!seen.add(entries.get(i).name())) throw new SuiteException(file + ": field 'tasks[" + i + "].name' = \"" + entries.get(i).name()
                    + "\": expected a name not used by an earlier task");
        }
        List<TaskEntry> chosen = choose(entries, TaskEntry::name, options.tasks(), file);
        Path dir = file.toAbsolutePath().getParent();
        // check that every file exists before reading any, so a typo in the last task fails at once
        for (TaskEntry e : chosen) {
            int i = entries.indexOf(e);
            requireFile(dir, e.train(), file, "tasks[" + i + "].train");
            requireFile(dir, e.test(), file, "tasks[" + i + "].test");
            if (e.valid() != null) requireFile(dir, e.valid(), file, "tasks[" + i + "].valid");
        }
        List<SuiteTask> tasks = new ArrayList<>();
        for (TaskEntry e : chosen) {
            tasks.add(new SuiteTask(e.name(), e.domain() == null ? "" : e.domain(),
                    subsample(records(dir.resolve(e.train())), options.maxTrain(), options.seed()),
                    e.valid() == null ? List.of() : subsample(records(dir.resolve(e.valid())), options.maxTest(), options.seed()),
                    subsample(records(dir.resolve(e.test())), options.maxTest(), options.seed()),
                    e.metric(), e.maxNewTokens(), e.maxPromptTokens(), e.maxAnswerTokens()));
        }
        return new Suite(name, file.toString(), tokenizer, tasks, probe == null ? null : probe(probe, dir, file));
    }

    private static TaskEntry taskEntry(JsonParser p, Path file, String where) throws IOException {
        expect(p, p.currentToken() == JsonToken.START_OBJECT, file, where, "a task object");
        Map<String, Object> f = flatObject(p, file, where);
        String name = requiredString(f, "name", file, where);
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new SuiteException(file + ": field '" + where + ".name' = \"" + name + "\": expected letters, digits, '.', '_' or '-' (it names files)");
        }
        String metricName = requiredString(f, "metric", file, where);
        TaskMetric metric;
        try {
            metric = TaskMetric.parse(metricName);
        } catch (IllegalArgumentException e) {
            throw new SuiteException(file + ": field '" + where + ".metric': " + e.getMessage());
        }
        int maxNew = intField(f, "max_new_tokens", metric.generative() ? -1 : 1, 1, file, where);
        return new TaskEntry(name, optionalString(f, "domain", file, where), requiredString(f, "train", file, where),
                optionalString(f, "valid", file, where), requiredString(f, "test", file, where), metric, maxNew,
                intField(f, "max_prompt_tokens", 0, 0, file, where), intField(f, "max_answer_tokens", 0, 0, file, where));
    }

    private static Suite.CorpusProbeData probe(Map<String, Object> f, Path dir, Path file) {
        String heldoutName = optionalString(f, "heldout", file, "probe");
        String skillsName = optionalString(f, "skills", file, "probe");
        if (heldoutName == null && skillsName == null) {
            throw new SuiteException(file + ": field 'probe' has neither 'heldout' nor 'skills': expected at least one");
        }
        String heldout = null;
        Path heldoutFile = null;
        if (heldoutName != null) {
            heldoutFile = requireFile(dir, heldoutName, file, "probe.heldout");
            try {
                heldout = Files.readString(heldoutFile);
            } catch (IOException e) {
                throw new SuiteException(heldoutFile + ": cannot read as UTF-8 text: " + e.getMessage(), e);
            }
            if (heldout.isBlank()) throw new SuiteException(heldoutFile + ": empty: expected held-out text for the probe");
        }
        List<TaskRecord> skills = List.of();
        TaskMetric metric = TaskMetric.EXACT_MATCH;
        if (skillsName != null) {
            skills = records(requireFile(dir, skillsName, file, "probe.skills"));
            String m = optionalString(f, "skills_metric", file, "probe");
            if (m != null) {
                try {
                    metric = TaskMetric.parse(m);
                } catch (IllegalArgumentException e) {
                    throw new SuiteException(file + ": field 'probe.skills_metric': " + e.getMessage());
                }
            }
        }
        String primary = optionalString(f, "primary", file, "probe");
        if (primary == null) primary = skillsName != null ? "skills" : "heldout";
        if (!(primary.equals("skills") && skillsName != null || primary.equals("heldout") && heldoutName != null)) {
            throw new SuiteException(file + ": field 'probe.primary' = \"" + primary + "\": expected \"skills\" or \"heldout\", naming a part the probe has");
        }
        return new Suite.CorpusProbeData(heldout, heldoutFile, skills, metric, intField(f, "skills_max_new_tokens", 32, 1, file, "probe"), primary);
    }

    // ---------------------------------------------------------------- TRACE

    public static Suite readTrace(Path dir, Options options) {
        if (!Files.isDirectory(dir)) throw new SuiteException(dir + ": no such folder (expected TRACE's layout DIR/TASK/{train,test}.json)");
        List<String> names = options.tasks().isEmpty() ? TRACE_ORDER : options.tasks();
        for (String n : names) {
            Path t = dir.resolve(n);
            if (!Files.isDirectory(t)) throw new SuiteException(t + ": no such folder (task '" + n + "' of --tasks; expected " + t + "/train.json)");
            for (String split : new String[] {"train.json", "test.json"}) {
                if (!Files.isRegularFile(t.resolve(split))) throw new SuiteException(t.resolve(split) + ": no such file (task '" + n + "' needs its " + split + ")");
            }
            if (!TRACE.containsKey(n)) {
                throw new SuiteException("trace:" + dir + ": task '" + n + "' has no standard metric; expected one of " + TRACE.keySet()
                        + " (or write a suite.json naming its metric)");
            }
        }
        List<SuiteTask> tasks = new ArrayList<>();
        for (String n : names) {
            Path t = dir.resolve(n);
            TraceDefaults d = TRACE.get(n);
            Path eval = t.resolve("eval.json");
            tasks.add(new SuiteTask(n, d.domain(), subsample(records(t.resolve("train.json")), options.maxTrain(), options.seed()),
                    Files.isRegularFile(eval) ? subsample(records(eval), options.maxTest(), options.seed()) : List.of(),
                    subsample(records(t.resolve("test.json")), options.maxTest(), options.seed()), d.metric(), d.maxNewTokens(), 0, 0));
        }
        return new Suite("TRACE", "trace:" + dir, null, tasks, null);
    }

    // ---------------------------------------------------------------- shared

    /** The entries named in wanted, in that order (all of them when wanted is empty). */
    private static <T> List<T> choose(List<T> all, java.util.function.Function<T, String> name, List<String> wanted, Path file) {
        if (wanted.isEmpty()) return all;
        Map<String, T> byName = new LinkedHashMap<>();
        for (T t : all) byName.put(name.apply(t), t);
        List<T> out = new ArrayList<>();
        for (String w : wanted) {
            T t = byName.get(w);
            if (t == null) throw new SuiteException(file + ": --tasks names '" + w + "', which the suite does not have; it has " + byName.keySet());
            out.add(t);
        }
        return out;
    }

    private static List<TaskRecord> records(Path path) {
        try {
            return TaskReader.read(path, BadRecordPolicy.REJECT).records();
        } catch (IOException e) {
            throw new SuiteException(e.getMessage(), e);
        }
    }

    /** At most max records (0 = all), drawn with seed, kept in file order. */
    static List<TaskRecord> subsample(List<TaskRecord> records, int max, long seed) {
        if (max == 0 || records.size() <= max) return records;
        int[] order = new int[records.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        new Rng(seed).shuffle(order);
        int[] kept = Arrays.copyOf(order, max);
        Arrays.sort(kept);
        List<TaskRecord> out = new ArrayList<>(max);
        for (int i : kept) out.add(records.get(i));
        return out;
    }

    private static Path requireFile(Path dir, String relative, Path file, String field) {
        Path p = dir.resolve(relative);
        if (!Files.isRegularFile(p)) throw new SuiteException(file + ": field '" + field + "' = \"" + relative + "\": no such file " + p);
        return p;
    }

    /** An object of scalar fields (strings, numbers, booleans); nested values are rejected. */
    private static Map<String, Object> flatObject(JsonParser p, Path file, String where) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken t = p.nextToken();
            switch (t) {
                case VALUE_STRING -> out.put(key, p.getText());
                case VALUE_NUMBER_INT -> out.put(key, p.getLongValue());
                case VALUE_NUMBER_FLOAT -> out.put(key, p.getDoubleValue());
                case VALUE_TRUE, VALUE_FALSE -> out.put(key, t == JsonToken.VALUE_TRUE);
                case VALUE_NULL -> { }
                default -> throw new SuiteException(file + ": field '" + where + "." + key + "': expected a string or a number, got "
                        + (t == JsonToken.START_ARRAY ? "an array" : "an object"));
            }
        }
        return out;
    }

    private static String string(JsonParser p, JsonToken t, Path file, String field) throws IOException {
        expect(p, t == JsonToken.VALUE_STRING, file, field, "a string");
        return p.getText();
    }

    private static void expect(JsonParser p, boolean ok, Path file, String field, String what) {
        if (!ok) throw new SuiteException(file + ": field '" + field + "' at line " + p.currentLocation().getLineNr() + ": expected " + what);
    }

    private static String requiredString(Map<String, Object> f, String key, Path file, String where) {
        String s = optionalString(f, key, file, where);
        if (s == null || s.isBlank()) throw new SuiteException(file + ": field '" + where + "." + key + "' is missing: expected a string");
        return s;
    }

    private static String optionalString(Map<String, Object> f, String key, Path file, String where) {
        Object v = f.get(key);
        if (v == null) return null;
        if (v instanceof String s) return s;
        throw new SuiteException(file + ": field '" + where + "." + key + "' = " + v + ": expected a string");
    }

    /** An integer >= min; absent -> fallback, or an error when fallback is negative (required). */
    private static int intField(Map<String, Object> f, String key, int fallback, int min, Path file, String where) {
        Object v = f.get(key);
        if (v == null) {
            if (fallback < 0) throw new SuiteException(file + ": field '" + where + "." + key + "' is missing: expected an integer >= " + min);
            return fallback;
        }
        if (v instanceof Long l && l >= min && l <= Integer.MAX_VALUE) return (int) (long) l;
        throw new SuiteException(file + ": field '" + where + "." + key + "' = " + v + ": expected an integer >= " + min);
    }
}
