package io.piece4j.piece.data;

/**
 * How long examples may be, in tokens (0 = no limit). The prompt loses its beginning (the end of a prompt
 * is usually the question), the answer its end; BOS and EOS are always kept.
 *
 * @param maxPromptTokens prompt tokens kept, from the end
 * @param maxAnswerTokens answer tokens kept, from the start
 * @param maxSeqLen       the model's context: BOS + prompt + answer + EOS is cut to fit, prompt first
 */
public record TruncationSettings(int maxPromptTokens, int maxAnswerTokens, int maxSeqLen) {
    public TruncationSettings {
        if (maxPromptTokens < 0 || maxAnswerTokens < 0 || maxSeqLen < 0) throw new IllegalArgumentException("truncation limits must be >= 0");
        if (maxSeqLen > 0 && maxSeqLen < 3) throw new IllegalArgumentException("maxSeqLen must leave room for BOS, one answer token and EOS");
    }

    public static TruncationSettings none() { return new TruncationSettings(0, 0, 0); }
}
