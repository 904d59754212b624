package io.piece4j.piece.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads task records {"prompt": string, "answer": non-empty string} (other fields ignored) from a JSON
 * array file ({@link JsonArrayRecords}) or a JSONL file ({@link JsonlRecords}). The format is told by the
 * first byte that is not whitespace, '[' or '{', not by the file name. Files are streamed: memory grows
 * with the records kept, not with the file.
 *
 * <p>A bad record (a field missing, not a string or given twice, an empty answer, bytes that are not
 * UTF-8, a JSONL line that is not one JSON object) is skipped and counted, or rejected, by policy; every
 * message names the file and the line where the record starts. A JSON array whose structure is broken is
 * always an error, and so is a file with no usable record.
 */
public final class TaskReader {
    /** A JSONL line longer than this is a bad record; it is skipped without being held in memory. */
    public static final int MAX_LINE_BYTES = 64 << 20;
    /** How many problem messages a {@link TaskFile} keeps; {@code skipped} counts them all. */
    public static final int KEPT_PROBLEMS = 1000;

    private TaskReader() {}

    public static TaskFile read(Path path, BadRecordPolicy policy) throws IOException {
        return read(path, policy, MAX_LINE_BYTES);
    }

    /** With a smaller line limit, for tests. */
    static TaskFile read(Path path, BadRecordPolicy policy, int maxLineBytes) throws IOException {
        RecordSink sink = new RecordSink(path, policy);
        try {
            FirstByte first = FirstByte.of(path);
            if (first.value < 0) throw new TaskDataException(path + ": the file is empty (expected a JSON array or JSONL records)");
            if (first.value == '[') JsonArrayRecords.read(path, first.skip, sink);
            else if (first.value == '{') JsonlRecords.read(path, first.skip, maxLineBytes, sink);
            else throw new TaskDataException(path + ": line " + first.line + ": expected '[' (a JSON array of records) or '{' "
                    + "(JSONL, one record per line), found " + first.describe());
        } catch (TaskDataException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new TaskDataException(path + ": no such file", e);
        } catch (IOException e) {
            throw new TaskDataException(path + ": cannot read: " + e, e);
        }
        if (sink.records.isEmpty()) {
            throw new TaskDataException(path + ": no usable record (" + sink.skipped + " skipped"
                    + (sink.problems.isEmpty() ? "" : "; the first: " + sink.problems.getFirst()) + ")");
        }
        return new TaskFile(path, List.copyOf(sink.records), sink.skipped, List.copyOf(sink.problems));
    }

    /** The first byte that is not JSON whitespace (-1 if none), its line, and the UTF-8 byte order mark to skip. */
    private record FirstByte(int value, int line, int skip, boolean utf16) {
        static FirstByte of(Path path) throws IOException {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
                byte[] head = in.readNBytes(3);
                int skip = head.length == 3 && (head[0] & 0xFF) == 0xEF && (head[1] & 0xFF) == 0xBB && (head[2] & 0xFF) == 0xBF ? 3 : 0;
                boolean utf16 = head.length >= 2 && ((head[0] & 0xFF) == 0xFE && (head[1] & 0xFF) == 0xFF
                        || (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xFE);
                int line = 1;
                for (int i = skip; i < head.length; i++) {
                    if (!isJsonSpace(head[i])) return new FirstByte(head[i] & 0xFF, line, skip, utf16);
                    if (head[i] == '\n') line++;
                }
                int b;
                while ((b = in.read()) >= 0) {
                    if (!isJsonSpace((byte) b)) return new FirstByte(b, line, skip, utf16);
                    if (b == '\n') line++;
                }
                return new FirstByte(-1, line, skip, utf16);
            }
        }

        private static boolean isJsonSpace(byte b) { return b == ' ' || b == '\t' || b == '\n' || b == '\r'; }

        String describe() {
            if (utf16) return "a UTF-16 byte order mark (task files must be UTF-8)";
            return value >= 0x20 && value < 0x7F ? "'" + (char) value + "'" : String.format("byte 0x%02X", value);
        }
    }
}
