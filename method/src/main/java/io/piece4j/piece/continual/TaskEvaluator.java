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
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.CrossEntropy;

import java.util.ArrayList;
import java.util.Arrays;
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
     * @param predictions every decoded answer, in record order (empty for answer-loss tasks)
     */
    public record TaskScore(double score, double answerLoss, List<Sample> samples, List<String> predictions) {}

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
        List<Example> examples = examples(records, maxPromptTokens, maxAnswerTokens, maxSeq);
        TeacherForced tf = teacherForced(model, examples, metric.generative());
        if (!metric.generative()) return new TaskScore(tf.loss, tf.loss, List.of(), List.of());

        // Greedy decoding follows the reference answer for as long as the most likely next token is the
        // reference's: that part is read off the teacher-forced pass. Only where the model first departs
        // from the reference (or the example was cut, so the prefixes differ) is decoding continued.
        int n = records.size(), bos = tokenizer.bosId(), eos = tokenizer.eosId();
        int[][] answer = new int[n][];
        List<Integer> rest = new ArrayList<>();
        List<int[]> restPrompts = new ArrayList<>();
        List<Integer> restBudgets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Example e = examples.get(i);
            int[] prompt = promptIds(records.get(i).prompt(), maxNewTokens, maxPromptTokens, maxSeq);
            int[] t = e.tokens();
            int len = e.promptLength();
            if (e.truncated() || !Arrays.equals(prompt, Arrays.copyOf(t, len))) {
                rest.add(i); restPrompts.add(prompt); restBudgets.add(maxNewTokens);
                answer[i] = new int[0];
                continue;
            }
            int[] g = tf.argmax.get(i);   // g[j]: most likely token after t[0..j]
            int s = 0;
            while (true) {
                if (s >= maxNewTokens || len + s >= maxSeq) { answer[i] = Arrays.copyOfRange(t, len, len + s); break; }
                int x = g[len - 1 + s];
                if (x == bos || x == eos) { answer[i] = Arrays.copyOfRange(t, len, len + s); break; }
                if (x == t[len + s]) { s++; continue; }
                // departs from the reference: x is the next token, then decode on from there
                int[] prefix = Arrays.copyOf(t, len + s + 1);
                prefix[len + s] = x;
                answer[i] = Arrays.copyOfRange(prefix, len, prefix.length);
                int budget = Math.min(maxNewTokens - s - 1, maxSeq - prefix.length);
                if (budget > 0) { rest.add(i); restPrompts.add(prefix); restBudgets.add(budget); }
                break;
            }
        }
        if (!rest.isEmpty()) {
            List<int[]> more = BatchDecoder.greedy(model, restPrompts, restBudgets.stream().mapToInt(Integer::intValue).toArray(), bos, eos, DECODE_GROUP);
            for (int j = 0; j < rest.size(); j++) {
                int i = rest.get(j);
                int[] joined = Arrays.copyOf(answer[i], answer[i].length + more.get(j).length);
                System.arraycopy(more.get(j), 0, joined, answer[i].length, more.get(j).length);
                answer[i] = joined;
            }
        }
        List<String> predictions = new ArrayList<>(n), references = new ArrayList<>(n);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TaskRecord r = records.get(i);
            String prediction = tokenizer.decode(answer[i]);
            predictions.add(prediction);
            references.add(r.answer());
            if (samples.size() < SAMPLES_KEPT) samples.add(new Sample(r.prompt(), r.answer(), prediction));
        }
        return new TaskScore(metric.score(predictions, references), tf.loss, samples, predictions);
    }

    /** Mean answer-token loss of the records under teacher forcing, cut as training cuts them. */
    public double answerLoss(LlamaModel model, List<TaskRecord> records, int maxPromptTokens, int maxAnswerTokens) {
        return teacherForced(model, examples(records, maxPromptTokens, maxAnswerTokens, model.config().maxSeqLen()), false).loss;
    }

    private List<Example> examples(List<TaskRecord> records, int maxPromptTokens, int maxAnswerTokens, int maxSeq) {
        TruncationSettings limits = new TruncationSettings(maxPromptTokens, maxAnswerTokens, maxSeq);
        List<Example> examples = new ArrayList<>(records.size());
        for (TaskRecord r : records) examples.add(Example.of(r, tokenizer, limits));
        return examples;
    }

    /**
     * @param loss   mean cross-entropy over all scored positions (each batch weighted by its scored tokens),
     *               the same number {@link Evaluation#answerLoss} gives
     * @param argmax per example, the most likely next token at each position from the last prompt
     *               position on (earlier entries are 0); null unless asked for
     */
    private record TeacherForced(double loss, List<int[]> argmax) {}

    /** One forward pass over prompt + answer + EOS of every example: the answer loss and, if asked, every position's argmax. */
    private static TeacherForced teacherForced(LlamaModel model, List<Example> examples, boolean argmax) {
        List<TokenBatch> batches = Batcher.inOrder(examples, LOSS_BATCH);
        List<int[]> argmaxes = argmax ? new ArrayList<>(examples.size()) : null;
        int vocab = model.config().vocabSize();
        double sum = 0;
        long count = 0;
        int next = 0;
        try (var s = Autograd.noGrad()) {
            for (TokenBatch b : batches) {
                Tensor logits = model.forward(b.tokens(), b.batch(), b.seq());                       // (batch * seq, V)
                int scored = b.scoredTokens();
                if (scored > 0) {
                    sum += (double) CrossEntropy.mean(logits, b.targets()).item() * scored;
                    count += scored;
                }
                if (argmax) {
                    for (int r = 0; r < b.batch(); r++) {
                        Example e = examples.get(next++);
                        int[] g = new int[e.length()];
                        int from = e.promptLength() - 1;
                        float[] rows = logits.rowsNoGrad(r * b.seq() + from, e.length() - from).toArray();
                        for (int t = from; t < e.length(); t++) {
                            int off = (t - from) * vocab, best = 0;
                            for (int v = 1; v < vocab; v++) if (rows[off + v] > rows[off + best]) best = v;
                            g[t] = best;
                        }
                        argmaxes.add(g);
                    }
                }
            }
        }
        if (count == 0) throw new IllegalArgumentException("no scored token in the evaluation data");
        return new TeacherForced(sum / count, argmaxes);
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
