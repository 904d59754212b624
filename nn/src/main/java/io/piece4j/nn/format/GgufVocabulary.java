package io.piece4j.nn.format;

import java.util.Arrays;

/**
 * The tokenizer embedded in a GGUF file (the tokenizer.ggml.* keys).
 *
 * @param model      "llama" (SentencePiece BPE ranked by score, byte tokens of type 6) or "gpt2" (byte-level BPE with merges)
 * @param tokens     token strings indexed by id
 * @param scores     per-token scores, or null
 * @param tokenTypes per-token types (1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte), or null
 * @param merges     BPE merges "a b" in rank order, or null
 * @param bosId      beginning-of-sequence id, or -1 when the file names none
 * @param eosId      end-of-sequence id, or -1 when the file names none
 */
public record GgufVocabulary(String model, String[] tokens, float[] scores, int[] tokenTypes, String[] merges,
                             int bosId, int eosId) {
    public GgufVocabulary {
        if (model == null || model.isEmpty()) throw new IllegalArgumentException("model: expected a tokenizer model name such as llama or gpt2");
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("tokens: expected at least one token");
        if (scores != null && scores.length != tokens.length) {
            throw new IllegalArgumentException("scores: " + scores.length + " entries: expected one per token (" + tokens.length + ")");
        }
        if (tokenTypes != null && tokenTypes.length != tokens.length) {
            throw new IllegalArgumentException("tokenTypes: " + tokenTypes.length + " entries: expected one per token (" + tokens.length + ")");
        }
        if (bosId < -1 || bosId >= tokens.length) throw new IllegalArgumentException("bosId = " + bosId + ": expected -1 or an id below " + tokens.length);
        if (eosId < -1 || eosId >= tokens.length) throw new IllegalArgumentException("eosId = " + eosId + ": expected -1 or an id below " + tokens.length);
    }

    @Override public boolean equals(Object o) {
        return o instanceof GgufVocabulary v && v.model.equals(model) && Arrays.equals(v.tokens, tokens)
                && Arrays.equals(v.scores, scores) && Arrays.equals(v.tokenTypes, tokenTypes)
                && Arrays.equals(v.merges, merges) && v.bosId == bosId && v.eosId == eosId;
    }

    @Override public int hashCode() {
        return model.hashCode() * 31 + Arrays.hashCode(tokens);
    }

    @Override public String toString() {
        return "GgufVocabulary[" + model + ", " + tokens.length + " tokens, scores " + (scores != null)
                + ", types " + (tokenTypes != null) + ", merges " + (merges == null ? 0 : merges.length)
                + ", bos " + bosId + ", eos " + eosId + "]";
    }
}
