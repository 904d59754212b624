package io.piece4j.distributed;

import io.piece4j.piece.TokenBatch;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** A {@link TokenBatch} as executors receive it (tokens and targets, batch * seq, row-major). */
record ShippedBatch(int[] tokens, int[] targets, int batch, int seq) implements Serializable {
    static ShippedBatch of(TokenBatch b) { return new ShippedBatch(b.tokens(), b.targets(), b.batch(), b.seq()); }

    TokenBatch toTokenBatch() { return new TokenBatch(tokens, targets, batch, seq); }

    static ArrayList<ShippedBatch> all(List<TokenBatch> batches) {
        ArrayList<ShippedBatch> out = new ArrayList<>(batches.size());
        for (TokenBatch b : batches) out.add(of(b));
        return out;
    }

    /** Bytes of the token ids and targets. */
    long payloadBytes() { return 8L * tokens.length; }
}
