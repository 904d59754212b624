package io.piece4j.nn.format;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint or config file that cannot be read as what it claims to be. The message names the file, the
 * field and the value that was expected, e.g. {@code model.gguf: tensor 'blk.0.attn_q.weight' type 99: expected
 * one of F32, F16, BF16, Q8_0, Q4_0}. Every reader in this package throws only this for bad input, never an
 * unchecked exception or an OutOfMemoryError.
 */
public class CheckpointFormatException extends IOException {
    public CheckpointFormatException(String message) {
        super(message);
    }

    public CheckpointFormatException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "FILE: MESSAGE" with the file's name only (full paths make messages unreadable and leak nothing useful). */
    public static CheckpointFormatException in(Path file, String message) {
        return new CheckpointFormatException(fileName(file) + ": " + message);
    }

    public static CheckpointFormatException in(Path file, String message, Throwable cause) {
        return new CheckpointFormatException(fileName(file) + ": " + message, cause);
    }

    static String fileName(Path file) {
        Path name = file.getFileName();
        return name == null ? file.toString() : name.toString();
    }
}
