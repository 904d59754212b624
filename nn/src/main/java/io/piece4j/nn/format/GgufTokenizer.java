package io.piece4j.nn.format;

import java.util.List;
import java.util.Set;

/**
 * A tokenizer as a GGUF file embeds it: the vocabulary (the keys {@link #VOCABULARY_KEYS}) and the other
 * tokenizer.* keys that go with it, kept in encoded form: tokenizer.ggml.pre (llama.cpp's pre-tokenizer name),
 * add_bos_token, add_eos_token, unknown_token_id, padding_token_id, tokenizer.chat_template, ...
 *
 * @param vocabulary the vocabulary
 * @param otherKeys  the other tokenizer.* pairs, none of them a vocabulary key
 */
public record GgufTokenizer(GgufVocabulary vocabulary, List<GgufKeyValue> otherKeys) {
    /** The keys {@link GgufVocabulary} stands for; a writer writes them from the vocabulary. */
    public static final Set<String> VOCABULARY_KEYS = Set.of("tokenizer.ggml.model", "tokenizer.ggml.tokens",
            "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.merges", "tokenizer.ggml.bos_token_id",
            "tokenizer.ggml.eos_token_id");

    public GgufTokenizer {
        if (vocabulary == null) throw new IllegalArgumentException("vocabulary: expected one");
        otherKeys = List.copyOf(otherKeys);
        for (GgufKeyValue kv : otherKeys) {
            if (!kv.key().startsWith("tokenizer.") || VOCABULARY_KEYS.contains(kv.key())) {
                throw new IllegalArgumentException("otherKeys: " + kv.key() + ": expected a tokenizer.* key that is not a vocabulary key");
            }
        }
    }

    /** The tokenizer of a checkpoint: its vocabulary and the other tokenizer.* keys of its file; null without a vocabulary. */
    public static GgufTokenizer of(Checkpoint c) {
        return c.vocabulary().map(v -> withKeysOf(v, c.ggufKeys())).orElse(null);
    }

    /** The vocabulary with the tokenizer.* pairs among a file's pairs that are not vocabulary keys. */
    static GgufTokenizer withKeysOf(GgufVocabulary vocabulary, List<GgufKeyValue> fileKeys) {
        return new GgufTokenizer(vocabulary, fileKeys.stream()
                .filter(kv -> kv.key().startsWith("tokenizer.") && !VOCABULARY_KEYS.contains(kv.key())).toList());
    }
}
