package io.piece4j.piece.continual;

/** A suite that cannot be used: one line naming the file and field and what was expected. */
public final class SuiteException extends IllegalArgumentException {
    public SuiteException(String message) { super(message); }

    public SuiteException(String message, Throwable cause) { super(message, cause); }
}
