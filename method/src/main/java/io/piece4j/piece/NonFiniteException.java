package io.piece4j.piece;

/** Training produced a NaN or infinite loss or gradient; the run stops with the last good state kept. */
public final class NonFiniteException extends IllegalStateException {
    public NonFiniteException(String message) { super(message); }
}
