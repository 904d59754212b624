package io.piece4j.piece.continual;

import io.piece4j.nn.model.BatchDecoder;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.Batcher;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.data.TaskRecord;
import io.piece4j.piece.data.TruncationSettings;
import io.piece4j.piece.train.Evaluation;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores a model on a task's test records: greedy decoding of each prompt (BOS + prompt, no sampling, so
 * scores are deterministic), the task's metric over the decoded answers, and the mean answer-token loss
 * under teacher forcing.
 */
public final class TaskEvaluator {
    /** Examples per batch for the teacher-forced answer loss. */
    private static final int LOSS_BATCH = 8;
    /** Predictions kept per task for the report. */
    public static final int SAMPLES_KEPT = 3;
    /** Prompts decoded together (the weights are read once per step for all of them). */
    private static final int DECODE_GROUP = 16;

    /**
     * @param score       the metric over the test records (for answer-loss tasks: the answer loss)
     * @param answerLoss  mean cross-entropy over answer tokens and EOS
     * @param samples     the first few (prompt, reference, prediction) triples, for the report
     */
    public record TaskScore(double score, double answerLoss, List<Sample> samples) {}

    /** One decoded test example. */
    public record Sample(String prompt, String reference, String prediction) {}

    private final Tokenizer tokenizer;

    public TaskEvaluator(Tokenizer tokenizer) { this.tokenizer = tokenizer; }

    public TaskScore evaluate(LlamaModel model, SuiteTask task) {
        return evaluate(model, task.test(), task.metric(), task.maxNewTokens(), task.maxPromptTokens(), task.maxAnswerTokens());
    }

    public TaskScore evaluate(LlamaModel model, List<TaskRecord> records, TaskMetric metric, int maxNewTokens,
                              int maxPromptTokens, int maxAnswerTokens) {
        if (records.isEmpty()) throw new IllegalArgumentException("no test record to evaluate");
        int maxSeq = model.config().maxSeqLen();
        double loss = answerLoss(model, records, maxPromptTokens, maxAnswerTokens);
        if (!metric.generative()) return new TaskScore(loss, loss, List.of());
        List<int[]> prompts = new ArrayList<>(records.size());
        for (TaskRecord r : records) prompts.add(promptIds(r.prompt(), maxNewTokens, maxPromptTokens, maxSeq));
        List<int[]> answers = BatchDecoder.greedy(model, prompts, maxNewTokens, tokenizer.bosId(), tokenizer.eosId(), DECODE_GROUP);
        List<String> predictions = new ArrayList<>(records.size()), references = new ArrayList<>(records.size());
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            TaskRecord r = records.get(i);
            String prediction = tokenizer.decode(answers.get(i));
            predictions.add(prediction);
            references.add(r.answer());
            if (samples.size() < SAMPLES_KEPT) samples.add(new Sample(r.prompt(), r.answer(), prediction));
        }
        return new TaskScore(metric.score(predictions, references), loss, samples);
    }

    /** Mean answer-token loss of the records under teacher forcing, cut as training cuts them. */
    public double answerLoss(LlamaModel model, List<TaskRecord> records, int maxPromptTokens, int maxAnswerTokens) {
        TruncationSettings limits = new TruncationSettings(maxPromptTokens, maxAnswerTokens, model.config().maxSeqLen());
        List<Example> examples = new ArrayList<>(records.size());
        for (TaskRecord r : records) examples.add(Example.of(r, tokenizer, limits));
        List<TokenBatch> batches = Batcher.inOrder(examples, LOSS_BATCH);
        return Evaluation.answerLoss(model, batches);
    }

    /**
     * BOS + the prompt's tokens, keeping the prompt's end when it must be cut (to maxPromptTokens, and to
     * leave room in the context for the answer).
     */
    int[] promptIds(String prompt, int maxNewTokens, int maxPromptTokens, int maxSeq) {
        int[] p = tokenizer.encode(prompt, false, false);
        int room = maxSeq - 1 - Math.min(maxNewTokens, maxSeq / 2);
        int keep = Math.min(p.length, room);
        if (maxPromptTokens > 0) keep = Math.min(keep, maxPromptTokens);
        int[] ids = new int[1 + keep];
        ids[0] = tokenizer.bosId();
        System.arraycopy(p, p.length - keep, ids, 1, keep);
        return ids;
    }
}
