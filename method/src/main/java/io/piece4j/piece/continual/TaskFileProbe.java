package io.piece4j.piece.continual;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.TaskRecord;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Any task file as a probe (`--probe FILE[:METRIC]`): its metric under greedy decoding, and its answer loss. */
public final class TaskFileProbe implements Probe {
    private final Path file;
    private final List<TaskRecord> records;
    private final TaskMetric metric;
    private final int maxNewTokens;
    private final TaskEvaluator evaluator;

    public TaskFileProbe(Path file, List<TaskRecord> records, TaskMetric metric, int maxNewTokens, Tokenizer tokenizer) {
        this.file = file;
        this.records = List.copyOf(records);
        this.metric = metric;
        this.maxNewTokens = maxNewTokens;
        this.evaluator = new TaskEvaluator(tokenizer);
    }

    /** What the probe is made of, so it can be rebuilt in another JVM (a Spark executor). */
    public Path file() { return file; }
    public List<TaskRecord> records() { return records; }
    public TaskMetric metric() { return metric; }
    public int maxNewTokens() { return maxNewTokens; }

    @Override public String name() {
        String n = file.getFileName().toString();
        int dot = n.indexOf('.');
        return "file-" + (dot > 0 ? n.substring(0, dot) : n);
    }

    @Override public String describe() { return metric.cliName() + " on " + records.size() + " records of " + file; }

    @Override public boolean higherIsBetter() { return metric.higherIsBetter(); }

    @Override
    public ProbeScore score(LlamaModel model) {
        TaskEvaluator.TaskScore s = evaluator.evaluate(model, records, metric, maxNewTokens, 0, 0);
        Map<String, Double> parts = new LinkedHashMap<>();
        parts.put(metric.cliName(), s.score());
        if (metric.generative()) parts.put("answer_loss", s.answerLoss());
        return new ProbeScore(s.score(), parts);
    }
}
