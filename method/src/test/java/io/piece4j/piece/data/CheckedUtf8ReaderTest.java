package io.piece4j.piece.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reader under the JSON array parser: strict UTF-8 that marks, rather than stops at, bad bytes. */
@Timeout(20) // a decoding loop that never ends fails here instead of stalling the build
class CheckedUtf8ReaderTest {
    private static final Path FILE = Path.of("t.json");

    /** Reads everything, a few chars at a time, so that reads end inside surrogate pairs too. */
    private static String readAll(CheckedUtf8Reader r, int chunk) throws IOException {
        StringBuilder s = new StringBuilder();
        char[] buf = new char[chunk];
        int n;
        while ((n = r.read(buf, 0, chunk)) >= 0) s.append(buf, 0, n);
        return s.toString();
    }

    @Test
    void validTextComesOutUnchangedWhateverTheBufferSizes() throws IOException {
        String text = "aß€😀 Zürich 北京 👩‍👩‍👧 \t\n{\"k\": \"v\"}".repeat(5);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int bufferBytes = 4; bufferBytes <= 9; bufferBytes++) {
            for (int chunk = 1; chunk <= 5; chunk++) {
                CheckedUtf8Reader r = new CheckedUtf8Reader(new ByteArrayInputStream(bytes), FILE, bufferBytes);
                assertEquals(text, readAll(r, chunk), "buffer " + bufferBytes + " bytes, reads of " + chunk + " chars");
                assertFalse(r.malformedBetween(0, Long.MAX_VALUE), "no malformed bytes in valid text");
            }
        }
    }

    @Test
    void eachMalformedSequenceBecomesOneReplacementCharAtARememberedOffset() throws IOException {
        byte[] bytes = {'a', (byte) 0xFF, 'b', (byte) 0xEF, (byte) 0xBF, (byte) 0xBD, 'c', (byte) 0xC3, 'd', (byte) 0xF0, (byte) 0x9F};
        // chars:      0    1 (bad)       2    3 (a real U+FFFD in the file)          4    5 (bad)  6    7 (bad: cut at the end)
        CheckedUtf8Reader r = new CheckedUtf8Reader(new ByteArrayInputStream(bytes), FILE, 4);
        String text = readAll(r, 2);
        assertEquals("a\uFFFDb\uFFFDc\uFFFDd\uFFFD", text);
        assertEquals(new String(bytes, StandardCharsets.UTF_8), text, "the same replacements as the JDK's own decoding");
        assertTrue(r.malformedBetween(0, 1), "char 1");
        assertFalse(r.malformedBetween(2, 4), "char 3 is a real U+FFFD");
        assertTrue(r.malformedBetween(5, 5), "char 5");
        assertFalse(r.malformedBetween(6, 6), "char 6");
        assertTrue(r.malformedBetween(7, 7), "char 7, a sequence cut by the end of the file");
    }

    @Test
    void offsetsAskedAboutAreForgotten() throws IOException {
        CheckedUtf8Reader r = new CheckedUtf8Reader(new ByteArrayInputStream(new byte[] {(byte) 0xFF, 'x', (byte) 0xFF}), FILE);
        readAll(r, 8);
        assertTrue(r.malformedBetween(0, 0), "first ask about char 0");
        assertFalse(r.malformedBetween(0, 1), "char 0 was already reported");
        assertTrue(r.malformedBetween(1, 2), "char 2");
    }

    @Test
    void aFileOfMostlyBadBytesStopsWithAnErrorInsteadOfGrowingWithoutBound() {
        byte[] junk = new byte[CheckedUtf8Reader.MAX_PENDING + 1];
        java.util.Arrays.fill(junk, (byte) 0xFF);
        CheckedUtf8Reader r = new CheckedUtf8Reader(new ByteArrayInputStream(junk), FILE);
        TaskDataException e = assertThrows(TaskDataException.class, () -> readAll(r, 1 << 16));
        assertTrue(e.getMessage().startsWith("t.json: line 1: more than " + CheckedUtf8Reader.MAX_PENDING), e.getMessage());
    }
}
