package io.piece4j.nn.tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/** A tokenizer file that cannot be used; the message names the file and the field. */
public final class TokenizerFormatException extends IOException {
    public TokenizerFormatException(String message) { super(message); }

    public TokenizerFormatException(String message, Throwable cause) { super(message, cause); }

    static TokenizerFormatException in(Path file, String message) {
        return new TokenizerFormatException((file == null ? "tokenizer" : file.getFileName().toString()) + ": " + message);
    }
}
