package io.piece4j.piece.data;

import io.piece4j.nn.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * A tokenised record: BOS, prompt, answer, EOS, and where the answer starts. The loss is on the answer
 * and EOS only (PIECE section 4): position t predicts token t + 1 and is scored iff t + 1 >= promptLength.
 *
 * <pre>
 *   tokens   BOS p0  p1  a0  a1  EOS        promptLength = 3
 *   targets  -1  -1  a0  a1  EOS -1         (the last position has nothing to predict)
 * </pre>
 *
 * @param tokens          (length) the whole sequence
 * @param promptLength    BOS + the prompt tokens kept
 * @param promptTokensCut prompt tokens dropped from its start by the limits
 * @param answerTokensCut answer tokens dropped from its end by the limits
 */
public record Example(int[] tokens, int promptLength, int promptTokensCut, int answerTokensCut) {

    public Example {
        if (promptLength < 1 || promptLength > tokens.length - 1) {
            throw new IllegalArgumentException("promptLength " + promptLength + " must be in [1, " + (tokens.length - 1)
                    + "]: BOS comes first and EOS last in " + tokens.length + " tokens");
        }
        if (promptTokensCut < 0 || answerTokensCut < 0) throw new IllegalArgumentException("cut counts must be >= 0");
    }

    /**
     * Prompt and answer are encoded separately, without BOS/EOS from the tokenizer, so the answer's first
     * token is the same whatever the prompt; then the limits are applied: the prompt keeps its end (as the
     * original code does: the question is usually last), the answer its start, and EOS always stays so the
     * model learns to stop.
     */
    public static Example of(TaskRecord record, Tokenizer tokenizer, TruncationSettings limits) {
        int[] prompt = tokenizer.encode(record.prompt(), false, false);
        int[] answer = tokenizer.encode(record.answer(), false, false);
        int promptCut = 0, answerCut = 0;
        if (limits.maxPromptTokens() > 0 && prompt.length > limits.maxPromptTokens()) {
            promptCut = prompt.length - limits.maxPromptTokens();
            prompt = Arrays.copyOfRange(prompt, promptCut, prompt.length);
        }
        if (limits.maxAnswerTokens() > 0 && answer.length > limits.maxAnswerTokens()) {
            answerCut = answer.length - limits.maxAnswerTokens();
            answer = Arrays.copyOf(answer, limits.maxAnswerTokens());
        }
        int[] tokens = new int[1 + prompt.length + answer.length + 1];
        tokens[0] = tokenizer.bosId();
        System.arraycopy(prompt, 0, tokens, 1, prompt.length);
        System.arraycopy(answer, 0, tokens, 1 + prompt.length, answer.length);
        tokens[tokens.length - 1] = tokenizer.eosId();
        return new Example(tokens, 1 + prompt.length, promptCut, answerCut).fitTo(limits.maxSeqLen());
    }

    /**
     * This example cut to at most maxSeqLen tokens (0 = no limit): prompt tokens go first, from the start
     * of the prompt; only if BOS + answer + EOS alone is too long does the answer lose tokens from its
     * end, and that is counted in answerTokensCut, never silent.
     */
    public Example fitTo(int maxSeqLen) {
        if (maxSeqLen < 0 || maxSeqLen > 0 && maxSeqLen < TruncationSettings.MIN_SEQ_LEN) {
            throw new IllegalArgumentException("max sequence length " + maxSeqLen + " must be 0 (no limit) or >= "
                    + TruncationSettings.MIN_SEQ_LEN + " (BOS, one answer token, EOS)");
        }
        if (maxSeqLen == 0 || tokens.length <= maxSeqLen) return this;
        int excess = tokens.length - maxSeqLen;
        int promptCut = Math.min(excess, promptLength - 1);
        int answerCut = excess - promptCut;
        int keptPrompt = promptLength - 1 - promptCut;
        int keptAnswer = answerLength() - answerCut;
        int[] cut = new int[maxSeqLen];
        cut[0] = tokens[0];
        System.arraycopy(tokens, 1 + promptCut, cut, 1, keptPrompt);
        System.arraycopy(tokens, promptLength, cut, 1 + keptPrompt, keptAnswer);
        cut[maxSeqLen - 1] = tokens[tokens.length - 1];
        return new Example(cut, 1 + keptPrompt, promptTokensCut + promptCut, answerTokensCut + answerCut);
    }

    public int length() { return tokens.length; }

    /** Answer tokens, without EOS. */
    public int answerLength() { return tokens.length - promptLength - 1; }

    /** Whether any limit cut this example. */
    public boolean truncated() { return promptTokensCut > 0 || answerTokensCut > 0; }

    /** (length) next-token targets: -1 on prompt positions and on the last position. */
    public int[] targets() {
        int[] targets = new int[tokens.length];
        for (int t = 0; t < tokens.length; t++) targets[t] = t + 1 < tokens.length && t + 1 >= promptLength ? tokens[t + 1] : -1;
        return targets;
    }

    /** Positions scored by the loss: the answer tokens and EOS. */
    public int scoredTokens() { return tokens.length - promptLength; }

    // A record compares arrays by reference; two examples are the same when their tokens are.
    @Override
    public boolean equals(Object o) {
        return o instanceof Example e && Arrays.equals(tokens, e.tokens) && promptLength == e.promptLength
                && promptTokensCut == e.promptTokensCut && answerTokensCut == e.answerTokensCut;
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(tokens) + promptLength; }

    @Override
    public String toString() {
        return "Example" + Arrays.toString(tokens) + " promptLength=" + promptLength + " cut=" + promptTokensCut + "/" + answerTokensCut;
    }
}
