package io.piece4j.piece.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Records of a JSONL file: one JSON object per line, blank lines ignored. Each line is checked on its
 * own, its bytes strictly as UTF-8 and then its JSON, so a bad line is one bad record and the next line
 * starts afresh. Only one line is held in memory, and at most maxLineBytes of it.
 */
final class JsonlRecords {
    private final Path path;
    private final int maxLineBytes;
    private final RecordSink sink;
    private final CharsetDecoder strictUtf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final CharBuffer decoded = CharBuffer.allocate(8192); // scratch: only the verdict of the decoder is used
    private byte[] line = new byte[4096];

    private JsonlRecords(Path path, int maxLineBytes, RecordSink sink) {
        this.path = path;
        this.maxLineBytes = maxLineBytes;
        this.sink = sink;
    }

    /** Reads the file after its first {@code skip} bytes (a byte order mark) into the sink. */
    static void read(Path path, int skip, int maxLineBytes, RecordSink sink) throws IOException {
        new JsonlRecords(path, maxLineBytes, sink).readAll(skip);
    }

    private void readAll(int skip) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            in.skipNBytes(skip);
            byte[] chunk = new byte[1 << 16];
            int lineNumber = 1, length = 0;
            boolean tooLong = false;
            int n;
            while ((n = in.read(chunk)) >= 0) {
                int pos = 0;
                while (pos < n) {
                    int newline = pos;
                    while (newline < n && chunk[newline] != '\n') newline++;
                    int take = newline - pos;
                    if (!tooLong && length + (long) take > maxLineBytes) tooLong = true; // read on to the newline, keep nothing
                    if (!tooLong) {
                        if (length + take > line.length) line = Arrays.copyOf(line, (int) Math.min(maxLineBytes, Math.max(2L * line.length, length + take)));
                        System.arraycopy(chunk, pos, line, length, take);
                        length += take;
                    }
                    if (newline == n) break; // the line goes on in the next chunk
                    endOfLine(lineNumber++, length, tooLong);
                    length = 0;
                    tooLong = false;
                    pos = newline + 1;
                }
            }
            endOfLine(lineNumber, length, tooLong); // the last line, if the file does not end with a newline
        }
    }

    private void endOfLine(int lineNumber, int length, boolean tooLong) throws IOException {
        if (tooLong) {
            sink.bad(lineNumber, "the line is longer than " + maxLineBytes + " bytes");
            return;
        }
        boolean blank = true;
        for (int i = 0; i < length && blank; i++) blank = line[i] == ' ' || line[i] == '\t' || line[i] == '\r';
        if (blank) return;
        int badByte = firstMalformedByte(length);
        if (badByte >= 0) {
            sink.bad(lineNumber, "bytes that are not valid UTF-8 at byte " + (badByte + 1) + " of the line");
            return;
        }
        try (JsonParser p = RecordFields.JSON.createParser(line, 0, length)) {
            try {
                JsonToken t = p.nextToken();
                if (t != JsonToken.START_OBJECT) {
                    sink.bad(lineNumber, "expected a JSON object {\"prompt\": ..., \"answer\": ...}, found " + RecordFields.describe(t));
                    return;
                }
                RecordFields fields = RecordFields.read(p);
                if (p.nextToken() != null) sink.bad(lineNumber, "more than one JSON value on the line");
                else sink.accept(lineNumber, fields, true);
            } catch (JsonProcessingException e) {
                sink.bad(lineNumber, "malformed JSON" + JsonErrorText.of(e, p, false));
            }
        }
    }

    /** Index of the first byte of the first sequence in line[0, length) that is not UTF-8, or -1 if none. */
    private int firstMalformedByte(int length) {
        strictUtf8.reset();
        ByteBuffer in = ByteBuffer.wrap(line, 0, length);
        while (true) {
            CoderResult r = strictUtf8.decode(in, decoded.clear(), true);
            if (r.isError()) return in.position();
            if (r.isUnderflow()) return -1; // flushing a UTF-8 decoder adds nothing and cannot fail
        }
    }
}
