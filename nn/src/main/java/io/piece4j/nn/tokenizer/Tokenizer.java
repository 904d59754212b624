package io.piece4j.nn.tokenizer;

/** Text to token ids and back. */
public interface Tokenizer {
    /** The ids of text, with BOS first and/or EOS last if asked. */
    int[] encode(String text, boolean addBos, boolean addEos);

    /** The text of ids, skipping BOS and EOS. */
    String decode(int[] ids);

    /**
     * The text of one token as it continues a stream, given the token before it (llama2.c strips the
     * leading space of the first piece after BOS).
     */
    String decodeToken(int previous, int id);

    int bosId();

    int eosId();

    int vocabSize();

    /** One line for run records: kind and vocabulary size. */
    String describe();
}
