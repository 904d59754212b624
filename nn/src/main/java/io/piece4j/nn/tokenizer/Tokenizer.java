package io.piece4j.nn.tokenizer;

/**
 * Text to token ids and back. Implementations hold no mutable state, so one instance may be shared
 * between threads.
 */
public interface Tokenizer {
    /**
     * The ids of text, with BOS first and/or EOS last if asked.
     *
     * @throws IllegalStateException if BOS or EOS is asked for and the vocabulary has none
     */
    int[] encode(String text, boolean addBos, boolean addEos);

    /**
     * The text of ids, skipping BOS, EOS and other control tokens; bytes that are not valid UTF-8 become
     * U+FFFD.
     *
     * @throws IllegalArgumentException for an id outside the vocabulary, naming the id and the vocabulary size
     */
    String decode(int[] ids);

    /**
     * The UTF-8 bytes one token adds to a stream of text, given the token before it (llama2.c strips the
     * leading space of the first piece after BOS). Bytes, not a String: a byte-fallback token may carry one
     * byte of a multi-byte character, which the stream completes with the next tokens.
     *
     * @param previous the token before, or -1 at the start of the stream
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    byte[] tokenBytes(int previous, int id);

    /** The beginning-of-sequence id, or -1 if the vocabulary has none. */
    int bosId();

    /** The end-of-sequence id, or -1 if the vocabulary has none. */
    int eosId();

    int vocabSize();

    /** One line for run records: kind, source and vocabulary size. */
    String describe();
}
