package io.piece4j.piece;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The layout piece4j's own binary files share: a magic first line, one line of JSON, then raw data.
 * This finds the JSON line after checking the magic.
 */
public final class HeaderedFile {
    private HeaderedFile() {}

    /** Where the JSON header ends ('\n'); the header starts right after the magic line. */
    public static int headerEnd(byte[] all, String magic, String kind, Path path) throws IOException {
        byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
        if (all.length < m.length || !new String(all, 0, m.length, StandardCharsets.US_ASCII).equals(magic)) {
            throw new IOException(path + ": not a " + kind + " (expected first line '" + magic.strip() + "')");
        }
        for (int i = m.length; i < all.length; i++) if (all[i] == '\n') return i;
        throw new IOException(path + ": header line is not terminated");
    }
}
