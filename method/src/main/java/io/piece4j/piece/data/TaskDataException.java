package io.piece4j.piece.data;

import java.io.IOException;

/** Task data that cannot be used; the message names the file, the line and what is wrong. */
public final class TaskDataException extends IOException {
    public TaskDataException(String message) { super(message); }

    public TaskDataException(String message, Throwable cause) { super(message, cause); }
}
