package io.piece4j.piece.continual;

import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.TaskRecord;

import java.nio.file.Path;
import java.util.List;

/**
 * An ordered sequence of tasks, and optionally the general-ability probe that comes with it.
 *
 * @param name      the suite's name
 * @param source    where it was read from (suite.json, or trace:DIR)
 * @param tokenizer the tokenizer the suite was made for ("byte"), or null when any will do
 * @param tasks     in training order
 * @param probe     the suite's own probe, or null
 */
public record Suite(String name, String source, String tokenizer, List<SuiteTask> tasks, CorpusProbeData probe, String evalSplit) {
    public Suite {
        tasks = List.copyOf(tasks);
    }

    public Suite(String name, String source, String tokenizer, List<SuiteTask> tasks, CorpusProbeData probe) {
        this(name, source, tokenizer, tasks, probe, "test");
    }

    /**
     * The same suite scored on each task's validation records instead of its test records, for choosing
     * settings (learning rates) without looking at the test split.
     */
    public Suite validationAsTest() {
        List<SuiteTask> swapped = new java.util.ArrayList<>();
        for (SuiteTask t : tasks) {
            if (t.valid().isEmpty()) throw new SuiteException(source + ": task '" + t.name() + "' has no validation records: expected a 'valid' file to evaluate on");
            swapped.add(new SuiteTask(t.name(), t.domain(), t.train(), t.valid(), t.valid(), t.metric(), t.maxNewTokens(), t.maxPromptTokens(),
                    t.maxAnswerTokens()));
        }
        return new Suite(name, source, tokenizer, swapped, probe, "valid");
    }

    /**
     * A probe that comes with a suite: held-out text of the base model's pretraining distribution, and
     * questions the base learned to answer in pretraining.
     *
     * @param heldout      held-out text (scored as mean NLL per token, lower is better); may be null
     * @param heldoutFile  where it came from
     * @param skills       probe questions (scored with skillsMetric under greedy decoding); may be empty
     * @param skillsMetric how a skill answer is scored
     * @param skillsMaxNewTokens decoding limit for skill answers
     * @param primary      "skills" or "heldout": which number stands for the probe in tables and charts
     */
    public record CorpusProbeData(String heldout, Path heldoutFile, List<TaskRecord> skills, TaskMetric skillsMetric,
                                  int skillsMaxNewTokens, String primary) {}

    public SuiteTask task(String taskName) {
        for (SuiteTask t : tasks) if (t.name().equals(taskName)) return t;
        throw new IllegalArgumentException("suite " + name + " has no task '" + taskName + "'");
    }

    public List<String> taskNames() { return tasks.stream().map(SuiteTask::name).toList(); }
}
