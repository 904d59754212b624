package io.piece4j.nn.generate;

import io.piece4j.nn.model.KvCache;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.TokenDecoder;

import java.util.Arrays;
import java.util.function.IntConsumer;

/** Autoregressive generation with a KV cache. */
public final class Generator {
    private Generator() {}

    /**
     * Returns the whole sequence, prompt then generated tokens. maxTokens counts the total length (as
     * llama2.c's -n does) and is capped at the model's max_seq_len. Generation stops before appending a
     * BOS or EOS token (llama2.c stops at BOS, which delimits sequences). onToken sees each new token.
     */
    public static int[] generate(LlamaModel model, int[] prompt, int maxTokens, Sampler sampler, int bos, int eos, IntConsumer onToken) {
        return generate(new KvCache(model), prompt, maxTokens, sampler, bos, eos, onToken);
    }

    /** As above, with any decoder that starts empty (a {@link KvCache}, or a {@link io.piece4j.nn.model.PackedDecoder}). */
    public static int[] generate(TokenDecoder cache, int[] prompt, int maxTokens, Sampler sampler, int bos, int eos, IntConsumer onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt needs at least one token (BOS)");
        if (cache.length() != 0) throw new IllegalArgumentException("the decoder already holds " + cache.length() + " positions: expected a fresh one");
        int limit = Math.min(maxTokens, cache.maxSeqLen());
        if (prompt.length >= limit) return Arrays.copyOf(prompt, Math.max(limit, 0));
        int[] seq = Arrays.copyOf(prompt, limit);
        int len = prompt.length;
        float[] logits = cache.forward(prompt);
        while (len < limit) {
            int next = sampler.sample(logits);
            if (next == bos || next == eos) break;
            seq[len++] = next;
            if (onToken != null) onToken.accept(next);
            if (len < limit) logits = cache.forward(next);
        }
        return Arrays.copyOf(seq, len);
    }
}
