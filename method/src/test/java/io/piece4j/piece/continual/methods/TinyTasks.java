package io.piece4j.piece.continual.methods;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.piece.continual.ContinualSettings;
import io.piece4j.piece.continual.Suite;
import io.piece4j.piece.continual.SuiteTask;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.data.TaskRecord;
import io.piece4j.piece.data.TruncationSettings;
import io.piece4j.tensor.cpu.RefBackend;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/** A tiny byte-level model and in-memory suites for the methods' unit tests. */
final class TinyTasks {
    static final LlamaConfig CONFIG = new LlamaConfig(16, 2, 2, 1, 8, 24, 259, 32, 1e-5f, 10000f, false,
            LlamaConfig.RopeLayout.INTERLEAVED, null);
    static final ByteTokenizer TOKENIZER = new ByteTokenizer();

    private TinyTasks() {}

    static LlamaModel model(long seed) {
        LlamaModel m = new LlamaModel(CONFIG, new RefBackend());
        m.initRandom(seed, 0.1f);
        return m;
    }

    /** A task of n records, record i made by make. */
    static SuiteTask task(String name, int n, IntFunction<String[]> make) {
        List<TaskRecord> train = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String[] pa = make.apply(i);
            train.add(new TaskRecord(pa[0], pa[1], i + 1));
        }
        return new SuiteTask(name, name, train, List.of(), train.subList(0, Math.min(2, n)), TaskMetric.EXACT_MATCH, 4, 0, 0);
    }

    static Suite suite(SuiteTask... tasks) {
        return new Suite("tiny", "memory", "byte", List.of(tasks), null);
    }

    /** Settings with micro-batches of batch examples and importance batches of 2. */
    static ContinualSettings settings(int batch) {
        return new ContinualSettings(1, batch, 1, 1e-2f, Map.of(), "constant", 0, 1.0, 0.9f, 0.95f, 0f, 2, true, false, 0, 0, 4, 7);
    }

    /** The context of task t of the suite, for a method that does or does not declare it sees old data. */
    static TaskContext context(LlamaModel model, Suite suite, int t, ContinualSettings settings, long seed, boolean seesOldData) {
        return new TaskContext(model, TOKENIZER, suite, t, examples(suite.tasks().get(t), model), settings, 1e-2f, seed,
                Path.of("unused"), seesOldData);
    }

    static List<Example> examples(SuiteTask task, LlamaModel model) {
        TruncationSettings limits = new TruncationSettings(task.maxPromptTokens(), task.maxAnswerTokens(), model.config().maxSeqLen());
        List<Example> out = new ArrayList<>();
        for (TaskRecord r : task.train()) out.add(Example.of(r, TOKENIZER, limits));
        return out;
    }

    static MethodOptions options(String... keyValues) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) m.put(keyValues[i], keyValues[i + 1]);
        return new MethodOptions(0.001, 1, m);
    }
}
