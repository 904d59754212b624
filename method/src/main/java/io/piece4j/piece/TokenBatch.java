package io.piece4j.piece;

/**
 * One training batch, already tokenised: tokens and next-token targets (batch * seq, row-major); a
 * negative target is not scored (prompt and padding positions).
 */
public record TokenBatch(int[] tokens, int[] targets, int batch, int seq) {
    public TokenBatch {
        if (tokens.length != batch * seq || targets.length != batch * seq) {
            throw new IllegalArgumentException("batch " + batch + " x seq " + seq + " needs " + batch * seq
                    + " tokens and targets, got " + tokens.length + " and " + targets.length);
        }
    }

    /** Positions whose target is scored. */
    public int scoredTokens() {
        int n = 0;
        for (int t : targets) if (t >= 0) n++;
        return n;
    }
}
