package io.piece4j.piece.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Records of a file holding one JSON array (TRACE's format): one streaming parser over the whole file,
 * reading through a {@link CheckedUtf8Reader} so that bytes that are not UTF-8 spoil only the record they
 * are in. A break in the JSON structure ends the read with an error: nothing after it can be trusted.
 */
final class JsonArrayRecords {
    private JsonArrayRecords() {}

    /** Reads the file after its first {@code skip} bytes (a byte order mark) into the sink. */
    static void read(Path path, int skip, RecordSink sink) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            in.skipNBytes(skip);
            CheckedUtf8Reader text = new CheckedUtf8Reader(in, path);
            try (JsonParser p = RecordFields.JSON.createParser(text)) {
                try {
                    readElements(p, text, sink);
                } catch (JsonProcessingException e) {
                    JsonLocation at = e.getLocation() != null ? e.getLocation() : p.currentLocation();
                    boolean afterBadBytes = text.malformedBetween(0, at.getCharOffset() + 1);
                    throw new TaskDataException(path + ": line " + at.getLineNr() + ": malformed JSON array" + JsonErrorText.of(e, p, true)
                            + (afterBadBytes ? " (after bytes that are not valid UTF-8)" : ""), e);
                }
            }
        }
    }

    private static void readElements(JsonParser p, CheckedUtf8Reader text, RecordSink sink) throws IOException {
        if (p.nextToken() != JsonToken.START_ARRAY) throw new TaskDataException(sink.path + ": line 1: expected a JSON array");
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            // Jackson throws at the end of input inside an array; this guard keeps SKIP from looping if it did not
            if (t == null) throw new TaskDataException(sink.path + ": the JSON array is not closed (no ']' at the end)");
            JsonLocation start = p.currentTokenLocation();
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                text.malformedBetween(start.getCharOffset(), p.currentTokenLocation().getCharOffset()); // forget them
                sink.bad(start.getLineNr(), "expected a record {\"prompt\": ..., \"answer\": ...}, found " + RecordFields.describe(t));
                continue;
            }
            RecordFields fields = RecordFields.read(p); // now on the record's END_OBJECT
            boolean utf8 = !text.malformedBetween(start.getCharOffset(), p.currentTokenLocation().getCharOffset());
            sink.accept(start.getLineNr(), fields, utf8);
        }
        if (p.nextToken() != null) {
            throw new TaskDataException(sink.path + ": line " + p.currentTokenLocation().getLineNr() + ": content after the end of the JSON array");
        }
    }
}
