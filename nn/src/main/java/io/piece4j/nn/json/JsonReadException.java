package io.piece4j.nn.json;

/**
 * A document {@link JsonReader} could not read: what kind of problem, at which value (a path such as
 * "model.vocab.a"; "" for the document as a whole), and a detail line with the position where there is one.
 */
public final class JsonReadException extends Exception {
    /** What went wrong. */
    public enum Kind { INVALID_UTF8, EMPTY, MALFORMED, TRAILING, TOO_DEEP, INTEGER_TOO_LARGE }

    private final Kind kind;
    private final String path;

    JsonReadException(Kind kind, String path, String detail, Throwable cause) {
        super(detail, cause);
        this.kind = kind;
        this.path = path;
    }

    public Kind kind() { return kind; }

    /** The value where reading stopped, "" for the document as a whole. */
    public String path() { return path; }

    /** What went wrong, with the line and column where known. */
    public String detail() { return getMessage(); }
}
