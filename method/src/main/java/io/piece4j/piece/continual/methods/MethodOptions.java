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

    /** A method setting as a whole number, or fallback when not given. */
    public int integer(String key, int fallback) {
        String v = settings.get(key);
        if (v == null) return fallback;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--method-setting " + key + "=" + v + ": expected a whole number");
        }
    }

    /**
     * Rejects a setting under the method's prefix ("ewc.") that the method does not know, so that a typo
     * such as ewc.lamda fails before anything is trained instead of being ignored.
     */
    public void checkKnown(String prefix, String... known) {
        java.util.List<String> names = java.util.List.of(known);
        for (String key : new java.util.TreeSet<>(settings.keySet())) {
            if (key.startsWith(prefix) && !names.contains(key)) {
                throw new IllegalArgumentException("--method-setting " + key + ": unknown setting; expected one of " + String.join(", ", names));
            }
        }
    }
}
