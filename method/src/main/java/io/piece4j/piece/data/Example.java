package io.piece4j.piece.data;

import io.piece4j.nn.tokenizer.Tokenizer;

import java.util.Arrays;

/**
 * A tokenised record: BOS + prompt + answer + EOS, and where the answer starts. Prompt and answer are
 * encoded separately. The loss is on the answer tokens and EOS only: position t predicts token t + 1 and is
 * scored iff t + 1 >= promptLength.
 *
 * @param tokens         (length) the whole sequence
 * @param promptLength   BOS + prompt tokens
 * @param truncated      whether any limit cut this example
 */
public record Example(int[] tokens, int promptLength, boolean truncated) {

    public static Example of(TaskRecord r, Tokenizer tok, TruncationSettings limits) {
        int[] prompt = tok.encode(r.prompt(), false, false);
        int[] answer = tok.encode(r.answer(), false, false);
        boolean cut = false;
        if (limits.maxPromptTokens() > 0 && prompt.length > limits.maxPromptTokens()) {
            prompt = Arrays.copyOfRange(prompt, prompt.length - limits.maxPromptTokens(), prompt.length);
            cut = true;
        }
        if (limits.maxAnswerTokens() > 0 && answer.length > limits.maxAnswerTokens()) {
            answer = Arrays.copyOf(answer, limits.maxAnswerTokens());
            cut = true;
        }
        if (limits.maxSeqLen() > 0) {
            int room = limits.maxSeqLen() - 2; // BOS and EOS
            if (answer.length > room) { answer = Arrays.copyOf(answer, room); cut = true; }
            if (prompt.length + answer.length > room) {
                prompt = Arrays.copyOfRange(prompt, prompt.length - (room - answer.length), prompt.length);
                cut = true;
            }
        }
        int[] tokens = new int[prompt.length + answer.length + 2];
        tokens[0] = tok.bosId();
        System.arraycopy(prompt, 0, tokens, 1, prompt.length);
        System.arraycopy(answer, 0, tokens, 1 + prompt.length, answer.length);
        tokens[tokens.length - 1] = tok.eosId();
        return new Example(tokens, 1 + prompt.length, cut);
    }

    public int length() { return tokens.length; }

    /** Next-token targets: -1 on prompt positions and on the last position (nothing follows EOS). */
    public int[] targets() {
        int[] t = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) t[i] = i + 1 < tokens.length && i + 1 >= promptLength ? tokens[i + 1] : -1;
        return t;
    }
}
