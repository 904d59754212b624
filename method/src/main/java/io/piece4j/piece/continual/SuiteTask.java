package io.piece4j.piece.continual;

import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.TaskRecord;

import java.util.List;

/**
 * One task of a continual-learning suite, read and checked in full before anything is trained.
 *
 * @param name            short name, unique in the suite (used in file names and tables)
 * @param domain          one line on what the task is (for the report)
 * @param train           training records in file order
 * @param valid           validation records (for learning-rate sweeps); may be empty
 * @param test            test records: the task's score R[t][i] is measured on these
 * @param metric          how a prediction is scored
 * @param maxNewTokens    greedy decoding stops after this many tokens (or at EOS)
 * @param maxPromptTokens prompt tokens kept, from the end (0 = all)
 * @param maxAnswerTokens answer tokens kept, from the start (0 = all)
 */
public record SuiteTask(String name, String domain, List<TaskRecord> train, List<TaskRecord> valid, List<TaskRecord> test,
                        TaskMetric metric, int maxNewTokens, int maxPromptTokens, int maxAnswerTokens) {
    public SuiteTask {
        train = List.copyOf(train);
        valid = List.copyOf(valid);
        test = List.copyOf(test);
    }
}
