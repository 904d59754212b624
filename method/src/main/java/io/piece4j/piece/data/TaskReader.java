package io.piece4j.piece.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads task records from a JSON array file or a JSONL file (told apart by the first non-blank byte,
 * '[' or '{'). Each record must have "prompt" and "answer" strings, the answer not empty; other fields
 * are ignored. Bytes that are not valid UTF-8 make their record bad. Bad records are skipped and counted
 * or rejected, by policy; a broken file structure is always an error. Every message names file and line.
 */
public final class TaskReader {
    private static final JsonFactory JSON = new JsonFactory();

    private TaskReader() {}

    public static TaskFile read(Path path, BadRecordPolicy policy) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new TaskDataException(path + ": cannot read: " + e.getMessage());
        }
        int first = 0;
        while (first < bytes.length && Character.isWhitespace(bytes[first])) first++;
        if (first == bytes.length) throw new TaskDataException(path + ": the file is empty (expected a JSON array or JSONL records)");
        Sink sink = new Sink(path, policy);
        if (bytes[first] == '[') readArray(path, bytes, sink);
        else if (bytes[first] == '{') readLines(path, bytes, sink);
        else throw new TaskDataException(path + ": line " + lineOf(bytes, first) + ": expected '[' (JSON array) or '{' (JSONL), found '"
                + (char) (bytes[first] & 0xFF) + "'");
        if (sink.records.isEmpty()) {
            throw new TaskDataException(path + ": no usable record (" + sink.skipped + " skipped"
                    + (sink.problems.isEmpty() ? "" : "; first problem: " + sink.problems.get(0)) + ")");
        }
        return new TaskFile(path, List.copyOf(sink.records), sink.skipped, List.copyOf(sink.problems));
    }

    /** Collects records and bad-record reports according to the policy. */
    private static final class Sink {
        final Path path;
        final BadRecordPolicy policy;
        final List<TaskRecord> records = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        int skipped;

        Sink(Path path, BadRecordPolicy policy) { this.path = path; this.policy = policy; }

        void bad(int line, String what) throws TaskDataException {
            String msg = path + ": line " + line + ": " + what;
            if (policy == BadRecordPolicy.REJECT) throw new TaskDataException(msg);
            skipped++;
            problems.add(msg);
        }
    }

    private static int lineOf(byte[] b, int pos) {
        int line = 1;
        for (int i = 0; i < pos && i < b.length; i++) if (b[i] == '\n') line++;
        return line;
    }

    /** Lines (1-based) that contain bytes which are not valid UTF-8. */
    private static Set<Integer> invalidUtf8Lines(byte[] b) {
        Set<Integer> bad = new HashSet<>();
        int line = 1, start = 0;
        for (int i = 0; i <= b.length; i++) {
            if (i == b.length || b[i] == '\n') {
                if (!validUtf8(b, start, i - start)) bad.add(line);
                line++;
                start = i + 1;
            }
        }
        return bad;
    }

    private static boolean validUtf8(byte[] b, int off, int len) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            d.decode(ByteBuffer.wrap(b, off, len));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static String lenient(byte[] b, int off, int len) {
        return new String(b, off, len, StandardCharsets.UTF_8); // invalid sequences become U+FFFD
    }

    private static void readArray(Path path, byte[] bytes, Sink sink) throws IOException {
        Set<Integer> badUtf8 = invalidUtf8Lines(bytes);
        try (JsonParser p = JSON.createParser(lenient(bytes, 0, bytes.length))) {
            if (p.nextToken() != JsonToken.START_ARRAY) throw new TaskDataException(path + ": line 1: expected a JSON array");
            while (true) {
                JsonToken t = p.nextToken();
                if (t == JsonToken.END_ARRAY) break;
                if (t == null) throw new TaskDataException(path + ": the JSON array is not closed (missing ']')");
                int startLine = p.currentTokenLocation().getLineNr();
                if (t != JsonToken.START_OBJECT) {
                    p.skipChildren();
                    sink.bad(startLine, "expected a record {\"prompt\": ..., \"answer\": ...}, found " + t.asString());
                    continue;
                }
                String[] fields = readObject(p);
                int endLine = p.currentTokenLocation().getLineNr();
                boolean utf8 = true;
                for (int l = startLine; l <= endLine; l++) if (badUtf8.contains(l)) utf8 = false;
                accept(sink, startLine, fields, utf8);
            }
            if (p.nextToken() != null) throw new TaskDataException(path + ": line " + p.currentTokenLocation().getLineNr()
                    + ": unexpected content after the JSON array");
        } catch (JsonParseException e) {
            throw new TaskDataException(path + ": line " + e.getLocation().getLineNr() + ": malformed JSON: " + e.getOriginalMessage());
        }
    }

    private static void readLines(Path path, byte[] bytes, Sink sink) throws IOException {
        int line = 1, start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i < bytes.length && bytes[i] != '\n') continue;
            int len = i - start;
            String text = lenient(bytes, start, len);
            if (!text.isBlank()) {
                boolean utf8 = validUtf8(bytes, start, len);
                try (JsonParser p = JSON.createParser(text)) {
                    if (p.nextToken() != JsonToken.START_OBJECT) {
                        sink.bad(line, "expected a JSON object {\"prompt\": ..., \"answer\": ...}");
                    } else {
                        String[] fields = readObject(p);
                        if (p.nextToken() != null) sink.bad(line, "unexpected content after the record");
                        else accept(sink, line, fields, utf8);
                    }
                } catch (JsonParseException e) {
                    sink.bad(line, "malformed JSON: " + e.getOriginalMessage());
                }
            }
            line++;
            start = i + 1;
        }
    }

    /**
     * Reads one object's fields; returns {prompt, answer, problem}: a string field's value, or null, and
     * the first problem found (missing or wrongly typed field).
     */
    private static String[] readObject(JsonParser p) throws IOException {
        String prompt = null, answer = null, problem = null;
        boolean sawPrompt = false, sawAnswer = false;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("prompt") || name.equals("answer")) {
                if (name.equals("prompt")) sawPrompt = true; else sawAnswer = true;
                if (v == JsonToken.VALUE_STRING) {
                    if (name.equals("prompt")) prompt = p.getText(); else answer = p.getText();
                } else if (problem == null) {
                    problem = "field '" + name + "' must be a string, found " + describe(v);
                }
            }
            p.skipChildren();
        }
        if (t != JsonToken.END_OBJECT) throw new JsonParseException(p, "record is not closed");
        if (problem == null && !sawPrompt) problem = "field 'prompt' is missing";
        if (problem == null && !sawAnswer) problem = "field 'answer' is missing";
        return new String[] {prompt, answer, problem};
    }

    private static String describe(JsonToken v) {
        return switch (v) {
            case VALUE_NULL -> "null";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            default -> v.asString();
        };
    }

    private static void accept(Sink sink, int line, String[] f, boolean utf8) throws TaskDataException {
        if (f[2] != null) sink.bad(line, f[2]);
        else if (!utf8) sink.bad(line, "the record contains bytes that are not valid UTF-8");
        else if (f[1].isEmpty()) sink.bad(line, "field 'answer' is empty");
        else sink.records.add(new TaskRecord(f[0], f[1], line));
    }
}
