package io.piece4j.nn.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How decoding holds its weight matrices (and, for f32 and bf16, its KV cache): float32, bfloat16, or GGUF's Q8_0
 * (int8 in blocks of 32 with one scale each).
 */
public enum DecodingPrecision {
    F32, BF16, Q8;

    /** The lower-case name the command line takes. */
    public String label() { return name().toLowerCase(Locale.ROOT); }

    /**
     * The value of a command-line option, among the allowed ones; anything else fails with one line naming the
     * option, the value and what it takes.
     */
    public static DecodingPrecision parse(String option, String value, DecodingPrecision... allowed) {
        for (DecodingPrecision p : allowed) if (p.label().equals(value == null ? null : value.trim().toLowerCase(Locale.ROOT))) return p;
        throw new IllegalArgumentException(option + " " + value + ": expected "
                + Arrays.stream(allowed).map(DecodingPrecision::label).collect(Collectors.joining(", ")));
    }
}
