package io.piece4j.piece.data;

/**
 * How long examples may be, in tokens (0 = no limit). The prompt loses its beginning (the end of a prompt
 * is usually the question), the answer its end; BOS and EOS are always kept. Recorded with every run.
 *
 * @param maxPromptTokens prompt tokens kept, from the end
 * @param maxAnswerTokens answer tokens kept, from the start
 * @param maxSeqLen       the model's context: BOS + prompt + answer + EOS is cut to fit, the prompt first
 *                        (see {@link Example#fitTo})
 */
public record TruncationSettings(int maxPromptTokens, int maxAnswerTokens, int maxSeqLen) {
    /** BOS, one answer token and EOS: the shortest context in which an answer can be learned. */
    public static final int MIN_SEQ_LEN = 3;

    public TruncationSettings {
        if (maxPromptTokens < 0 || maxAnswerTokens < 0 || maxSeqLen < 0) {
            throw new IllegalArgumentException("truncation limits must be >= 0 (0 = no limit), got prompt " + maxPromptTokens
                    + ", answer " + maxAnswerTokens + ", sequence " + maxSeqLen);
        }
        if (maxSeqLen > 0 && maxSeqLen < MIN_SEQ_LEN) {
            throw new IllegalArgumentException("max sequence length " + maxSeqLen + " must be 0 (no limit) or >= " + MIN_SEQ_LEN
                    + " (BOS, one answer token, EOS)");
        }
    }

    public static TruncationSettings none() { return new TruncationSettings(0, 0, 0); }
}
