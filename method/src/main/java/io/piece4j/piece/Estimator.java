package io.piece4j.piece;

/**
 * How a parameter's importance score is computed from G = sum of batch gradients and H = sum of squared
 * batch gradients (one pass over a task's data, no update). NaN scores count as 0.
 */
public enum Estimator {
    /** Diagonal empirical Fisher: s = H. */
    PIECE_F("piece-f"),
    /** Gradient signal-to-noise: s = |G| / sqrt(H + 1); the +1 is added to the sum, not the mean. */
    PIECE_S("piece-s");

    private final String cliName;

    Estimator(String cliName) { this.cliName = cliName; }

    public String cliName() { return cliName; }

    /** The score in float32, as the accumulators are float32. */
    public float score(float g, float h) {
        float s = switch (this) {
            case PIECE_F -> h;
            case PIECE_S -> Math.abs(g) / (float) Math.sqrt(h + 1f);
        };
        return Float.isNaN(s) ? 0f : s;
    }

    public static Estimator parse(String s) {
        for (Estimator e : values()) if (e.cliName.equalsIgnoreCase(s) || e.name().equalsIgnoreCase(s)) return e;
        throw new IllegalArgumentException("unknown estimator '" + s + "': expected piece-f or piece-s");
    }
}
