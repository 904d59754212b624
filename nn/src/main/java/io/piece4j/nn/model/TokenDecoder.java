package io.piece4j.nn.model;

/** Incremental decoding of one sequence: feed tokens, get the logits that predict the next one. */
public interface TokenDecoder {
    /**
     * Feeds tokens at positions length()..length()+n-1 (a whole prompt at once, or one token) and returns the
     * logits (vocab) that predict the token after the last one.
     */
    float[] forward(int... tokens);

    /** Positions already fed. */
    int length();

    /** Positions the decoder can hold in all. */
    int maxSeqLen();
}
