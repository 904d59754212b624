package io.piece4j.piece.continual.methods;

import java.util.Map;

/**
 * How a method is configured for one run.
 *
 * @param ratio    the fraction of eligible parameters a mask-based method selects (PIECE, random)
 * @param seed     the run's seed (a random mask draws from it)
 * @param settings method-specific settings by name (EWC's "lambda", LoRA's "rank", ...), as given on the
 *                 command line; each method reads its own and rejects bad values before anything is trained
 */
public record MethodOptions(double ratio, long seed, Map<String, String> settings) {
    public MethodOptions {
        settings = Map.copyOf(settings);
    }

    /** A method setting as a number, or fallback when not given. */
    public double number(String key, double fallback) {
        String v = settings.get(key);
        if (v == null) return fallback;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--method-setting " + key + "=" + v + ": expected a number");
        }
    }
}
