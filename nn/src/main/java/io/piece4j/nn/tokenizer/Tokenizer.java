package io.piece4j.nn.tokenizer;

/** Text to token ids and back. */
public interface Tokenizer {
    /** The ids of text, with BOS first and/or EOS last if asked. */
    int[] encode(String text, boolean addBos, boolean addEos);

    /** The text of ids, skipping BOS and EOS. */
    String decode(int[] ids);

    /**
     * The UTF-8 bytes one token adds to a stream of text, given the token before it (llama2.c strips the
     * leading space of the first piece after BOS). Bytes, not a String: a byte-fallback token may carry one
     * byte of a multi-byte character, which the stream completes with the next tokens.
     */
    byte[] tokenBytes(int previous, int id);

    int bosId();

    int eosId();

    int vocabSize();

    /** One line for run records: kind and vocabulary size. */
    String describe();
}
