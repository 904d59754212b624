package io.piece4j.piece.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading TRACE-style task files: both formats, every kind of bad record under both policies, broken files. */
@Timeout(20) // a decoding loop that never ends fails here instead of stalling the build
class TaskReaderTest {
    @TempDir Path dir;

    private static final String GOOD = "{\"prompt\": \"1+1=\", \"answer\": \"2\"}";

    private Path file(String name, String content) throws Exception {
        return file(name, content.getBytes(StandardCharsets.UTF_8));
    }

    private Path file(String name, byte[] content) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, content);
        return f;
    }

    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) out.writeBytes(p instanceof byte[] b ? b : p.toString().getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static void assertRecord(String prompt, String answer, int line, TaskRecord r) {
        assertEquals(new TaskRecord(prompt, answer, line), r, "record read");
    }

    @Test
    void jsonArrayRecordsAreReadInOrderWithTheLineWhereEachStarts() throws Exception {
        Path f = file("a.json", """
                [
                  {"prompt": "1+1=", "answer": "2", "id": 7, "meta": {"source": ["x", {"y": null}]}},
                  {
                    "answer": "ok",
                    "prompt": ""
                  },
                  {"prompt": "Straße?", "answer": "über 😀"}
                ]
                """);
        TaskFile t = TaskReader.read(f, BadRecordPolicy.REJECT);
        assertEquals(3, t.records().size(), "records");
        assertRecord("1+1=", "2", 2, t.records().get(0));
        assertRecord("", "ok", 3, t.records().get(1));
        assertRecord("Straße?", "über 😀", 7, t.records().get(2));
        assertEquals(0, t.skipped(), "skipped");
        assertEquals(f, t.path());
    }

    @Test
    void jsonlRecordsAreReadOnePerLineIgnoringBlankLinesAndCarriageReturns() throws Exception {
        Path f = file("a.jsonl", GOOD + "\r\n\r\n   \n{\"answer\": \"ok\", \"prompt\": \"\", \"extra\": [1, 2]}\r\n"
                + "{\"prompt\": \"tab\\tnewline\\n\", \"answer\": \"\\u00fc\"}");
        TaskFile t = TaskReader.read(f, BadRecordPolicy.REJECT);
        assertEquals(3, t.records().size(), "records");
        assertRecord("1+1=", "2", 1, t.records().get(0));
        assertRecord("", "ok", 4, t.records().get(1));
        assertRecord("tab\tnewline\n", "ü", 5, t.records().get(2));
    }

    @Test
    void theFormatIsDecidedByTheFirstByteNotByTheFileName() throws Exception {
        Path jsonlNamedJson = file("lines.json", "\n  " + GOOD + "\n" + GOOD + "\n");
        Path arrayNamedJsonl = file("array.jsonl", "  \n[" + GOOD + ", " + GOOD + "]");
        assertEquals(2, TaskReader.read(jsonlNamedJson, BadRecordPolicy.REJECT).records().size(), "JSONL in a .json file");
        assertEquals(2, TaskReader.read(arrayNamedJsonl, BadRecordPolicy.REJECT).records().size(), "array in a .jsonl file");
        assertEquals(2, TaskReader.read(arrayNamedJsonl, BadRecordPolicy.REJECT).records().get(0).line(), "line after the blank one");
    }

    @Test
    void aUtf8ByteOrderMarkIsAllowedInBothFormats() throws Exception {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        for (Path f : List.of(file("bom.jsonl", bytes(bom, GOOD, "\n")), file("bom.json", bytes(bom, "[", GOOD, "]")))) {
            TaskFile t = TaskReader.read(f, BadRecordPolicy.REJECT);
            assertRecord("1+1=", "2", 1, t.records().get(0));
        }
    }

    /** Each kind of bad record: what it looks like, and the message (after "file: line N: "). */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"answer\": \"x\"}                        | field 'prompt' is missing",
            "{\"prompt\": \"x\"}                        | field 'answer' is missing",
            "{}                                         | field 'prompt' is missing",
            "{\"prompt\": 3, \"answer\": \"x\"}         | field 'prompt' must be a string, found a number",
            "{\"prompt\": \"x\", \"answer\": 2.5}       | field 'answer' must be a string, found a number",
            "{\"prompt\": \"x\", \"answer\": null}      | field 'answer' must be a string, found null",
            "{\"prompt\": \"x\", \"answer\": [\"a\"]}   | field 'answer' must be a string, found an array",
            "{\"prompt\": {\"a\": 1}, \"answer\": \"x\"} | field 'prompt' must be a string, found an object",
            "{\"prompt\": true, \"answer\": \"x\"}      | field 'prompt' must be a string, found a boolean",
            "{\"prompt\": \"x\", \"answer\": \"\"}      | field 'answer' is empty (nothing to learn)",
            "{\"prompt\": \"x\", \"prompt\": \"y\", \"answer\": \"z\"} | field 'prompt' appears twice",
            "{\"prompt\": \"x\\ud800y\", \"answer\": \"z\"} | field 'prompt' has an unpaired surrogate \\uD800 at char 1 (not a character)",
            "{\"prompt\": \"x\", \"answer\": \"\\udc00\"} | field 'answer' has an unpaired surrogate \\uDC00 at char 0 (not a character)",
            "\"just a string\"                          | expected a JSON object {\"prompt\": ..., \"answer\": ...}, found a string",
            "[1, 2]                                     | expected a JSON object {\"prompt\": ..., \"answer\": ...}, found an array",
    })
    void aBadJsonlRecordIsSkippedAndCountedOrRejectedNamingFileLineAndField(String record, String what) throws Exception {
        Path f = file("bad.jsonl", GOOD + "\n" + record.strip() + "\n" + GOOD + "\n");
        String expected = f + ": line 2: " + what;

        TaskFile t = TaskReader.read(f, BadRecordPolicy.SKIP);
        assertEquals(2, t.records().size(), "good records kept around the bad one");
        assertEquals(3, t.records().get(1).line(), "line of the record after the bad one");
        assertEquals(1, t.skipped(), "skipped count");
        assertEquals(List.of(expected), t.problems(), "problem messages");

        TaskDataException e = assertThrows(TaskDataException.class, () -> TaskReader.read(f, BadRecordPolicy.REJECT));
        assertEquals(expected, e.getMessage(), "REJECT stops at the bad record with the same message");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"answer\": \"x\"}                        | field 'prompt' is missing",
            "{\"prompt\": \"x\", \"answer\": null}      | field 'answer' must be a string, found null",
            "{\"prompt\": \"x\", \"answer\": \"\"}      | field 'answer' is empty (nothing to learn)",
            "42                                         | expected a record {\"prompt\": ..., \"answer\": ...}, found a number",
            "[{\"prompt\": \"x\", \"answer\": \"y\"}]   | expected a record {\"prompt\": ..., \"answer\": ...}, found an array",
    })
    void aBadJsonArrayRecordIsReportedAtTheLineWhereItStarts(String record, String what) throws Exception {
        Path f = file("bad.json", "[\n  " + GOOD + ",\n\n  " + record.strip() + ",\n  " + GOOD + "\n]\n");
        String expected = f + ": line 4: " + what;

        TaskFile t = TaskReader.read(f, BadRecordPolicy.SKIP);
        assertEquals(2, t.records().size(), "good records kept around the bad one");
        assertEquals(List.of(expected), t.problems(), "problem messages");
        assertEquals(1, t.skipped(), "skipped count");

        TaskDataException e = assertThrows(TaskDataException.class, () -> TaskReader.read(f, BadRecordPolicy.REJECT));
        assertEquals(expected, e.getMessage(), "REJECT message");
    }

    @Test
    void aMalformedJsonlLineIsABadRecordButAMalformedArrayIsAnError() throws Exception {
        Path lines = file("m.jsonl", GOOD + "\n{\"prompt\": \"x\", \"answer\": \n" + GOOD + "\n");
        TaskFile t = TaskReader.read(lines, BadRecordPolicy.SKIP);
        assertEquals(2, t.records().size(), "records on either side of the malformed line");
        assertTrue(t.problems().getFirst().startsWith(lines + ": line 2: malformed JSON at column "), t.problems().getFirst());

        Path trailing = file("two.jsonl", GOOD + " " + GOOD + "\n" + GOOD);
        assertEquals(List.of(trailing + ": line 1: more than one JSON value on the line"),
                TaskReader.read(trailing, BadRecordPolicy.SKIP).problems());

        Path array = file("m.json", "[\n" + GOOD + ",\n{\"prompt\": \"x\" \"answer\": \"y\"},\n" + GOOD + "\n]");
        TaskDataException e = assertThrows(TaskDataException.class, () -> TaskReader.read(array, BadRecordPolicy.SKIP));
        assertTrue(e.getMessage().startsWith(array + ": line 3: malformed JSON array at column "), e.getMessage());
    }

    @Test
    void aRecordCutShortIsReportedByLineColumnAndFieldWithoutJacksonsInternalLocationText() throws Exception {
        Path lines = file("cut.jsonl", GOOD + "\n{\"prompt\": \"a\", \"answer\": \"c\"\n");
        TaskFile t = TaskReader.read(lines, BadRecordPolicy.SKIP);
        assertEquals(List.of(lines + ": line 2: malformed JSON at column 30, field 'answer': Unexpected end-of-input:"
                + " expected close marker for Object (opened at column 1)"), t.problems());

        Path array = file("cut.json", "[" + GOOD + ",\n {\"prompt\": \"a\", \"answer\": \"c\"");
        TaskDataException e = assertThrows(TaskDataException.class, () -> TaskReader.read(array, BadRecordPolicy.SKIP));
        assertEquals(array + ": line 2: malformed JSON array at column 31, field 'answer': Unexpected end-of-input:"
                + " expected close marker for Object (opened at line 2, column 2)", e.getMessage());
        assertFalse(e.getMessage().contains("Source") || e.getMessage().contains("REDACTED"), e.getMessage());
    }

    @Test
    void aJsonArrayThatIsNotClosedOrHasTrailingContentIsAnError() throws Exception {
        Path unclosed = file("open.json", "[\n" + GOOD + ",\n" + GOOD + "\n");
        TaskDataException e = assertThrows(TaskDataException.class, () -> TaskReader.read(unclosed, BadRecordPolicy.SKIP));
        assertTrue(e.getMessage().startsWith(unclosed + ": line 4: malformed JSON array at column 1: Unexpected end-of-input"), e.getMessage());

        Path trailing = file("trail.json", "[" + GOOD + "]\n\n" + GOOD);
        e = assertThrows(TaskDataException.class, () -> TaskReader.read(trailing, BadRecordPolicy.SKIP));
        assertEquals(trailing + ": line 3: content after the end of the JSON array", e.getMessage());
    }

    @Test
    void invalidUtf8BytesMakeTheirJsonlLineBadWithTheByteWhereTheyStart() throws Exception {
        // 0xC3 (the 14th byte) starts a two-byte sequence, but '(' is not a continuation byte
        byte[] bad = bytes("{\"prompt\": \"a", new byte[] {(byte) 0xC3, '('}, "\", \"answer\": \"x\"}");
        Path f = file("u.jsonl", bytes("{\"prompt\": \"über\", \"answer\": \"ß\"}\n", bad, "\n"));
        TaskFile t = TaskReader.read(f, BadRecordPolicy.SKIP);
        assertEquals(1, t.records().size(), "the valid record");
        assertEquals("über", t.records().getFirst().prompt());
        assertEquals(List.of(f + ": line 2: bytes that are not valid UTF-8 at byte 14 of the line"), t.problems());
        assertEquals(t.problems().getFirst(), assertThrows(TaskDataException.class, () -> TaskReader.read(f, BadRecordPolicy.REJECT)).getMessage());
    }

    @Test
    void invalidUtf8BytesMakeOnlyTheirOwnArrayRecordBadEvenOnASharedLine() throws Exception {
        byte[] overlong = {(byte) 0xC0, (byte) 0xAF}; // '/' spelled in two bytes: not valid UTF-8
        byte[] truncated = {(byte) 0xE2, (byte) 0x82}; // three-byte sequence cut after two
        byte[] ok = "\uFFFD".getBytes(StandardCharsets.UTF_8); // a real U+FFFD is valid text
        Path f = file("u.json", bytes("[\n", GOOD, ", {\"prompt\": \"", overlong, "\", \"answer\": \"x\"}, ",
                "{\"prompt\": \"", ok, "\", \"answer\": \"y\"},\n",
                "{\"prompt\": \"a\",\n \"answer\": \"", truncated, "\"}, ", GOOD, "\n]"));
        TaskFile t = TaskReader.read(f, BadRecordPolicy.SKIP);
        assertEquals(List.of(f + ": line 2: the record has bytes that are not valid UTF-8",
                f + ": line 3: the record has bytes that are not valid UTF-8"), t.problems(), "the two bad records, by start line");
        assertEquals(3, t.records().size(), "GOOD, the U+FFFD record, GOOD");
        assertRecord("\uFFFD", "y", 2, t.records().get(1));
        assertRecord("1+1=", "2", 4, t.records().get(2));
    }

    @Test
    void invalidUtf8BetweenArrayRecordsBreaksTheStructure() throws Exception {
        Path f = file("between.json", bytes("[", GOOD, ",\n", new byte[] {(byte) 0xFF}, GOOD, "]"));
        TaskDataException e = assertThrows(TaskDataException.class, () -> TaskReader.read(f, BadRecordPolicy.SKIP));
        assertTrue(e.getMessage().startsWith(f + ": line 2: malformed JSON array at column ") && e.getMessage().endsWith("(after bytes that are not valid UTF-8)"),
                e.getMessage());
    }

    @Test
    void emptyFilesFilesWithoutUsableRecordsAndOtherContentAreErrors() throws Exception {
        Path empty = file("e.jsonl", "");
        assertEquals(empty + ": the file is empty (expected a JSON array or JSONL records)",
                assertThrows(TaskDataException.class, () -> TaskReader.read(empty, BadRecordPolicy.SKIP)).getMessage());
        Path blank = file("b.json", " \n\t\r\n");
        assertTrue(assertThrows(TaskDataException.class, () -> TaskReader.read(blank, BadRecordPolicy.SKIP)).getMessage().contains("empty"));
        Path emptyArray = file("ea.json", "[ ]");
        assertEquals(emptyArray + ": no usable record (0 skipped)",
                assertThrows(TaskDataException.class, () -> TaskReader.read(emptyArray, BadRecordPolicy.SKIP)).getMessage());
        Path allBad = file("ab.jsonl", "{\"prompt\": 1}\n{\"answer\": \"\"}\n");
        assertEquals(allBad + ": no usable record (2 skipped; the first: " + allBad + ": line 1: field 'prompt' must be a string, found a number)",
                assertThrows(TaskDataException.class, () -> TaskReader.read(allBad, BadRecordPolicy.SKIP)).getMessage());
        Path text = file("t.json", "\n\nhello");
        assertEquals(text + ": line 3: expected '[' (a JSON array of records) or '{' (JSONL, one record per line), found 'h'",
                assertThrows(TaskDataException.class, () -> TaskReader.read(text, BadRecordPolicy.SKIP)).getMessage());
        Path utf16 = file("w.json", bytes(new byte[] {(byte) 0xFF, (byte) 0xFE, '[', 0}));
        assertTrue(assertThrows(TaskDataException.class, () -> TaskReader.read(utf16, BadRecordPolicy.SKIP)).getMessage()
                .endsWith("found a UTF-16 byte order mark (task files must be UTF-8)"));
        Path missing = dir.resolve("missing.jsonl");
        assertEquals(missing + ": no such file",
                assertThrows(TaskDataException.class, () -> TaskReader.read(missing, BadRecordPolicy.SKIP)).getMessage());
        assertTrue(assertThrows(TaskDataException.class, () -> TaskReader.read(dir, BadRecordPolicy.SKIP)).getMessage()
                .startsWith(dir + ": cannot read: "), "a directory");
    }

    @Test
    void aLineOverTheLimitIsSkippedWithoutBeingKept() throws Exception {
        Path f = file("long.jsonl", GOOD + "\n{\"prompt\": \"" + "x".repeat(1000) + "\", \"answer\": \"y\"}\n" + GOOD);
        TaskFile t = TaskReader.read(f, BadRecordPolicy.SKIP, 200);
        assertEquals(List.of(f + ": line 2: the line is longer than 200 bytes"), t.problems());
        assertEquals(2, t.records().size(), "the short lines");
        assertEquals(3, t.records().get(1).line(), "line count continues past the long line");
    }

    @Test
    void aLineExactlyAtTheLimitIsRead() throws Exception {
        String record = "{\"prompt\": \"p\", \"answer\": \"a\"}";
        Path f = file("edge.jsonl", record + "\n" + record + " \n");
        TaskFile t = TaskReader.read(f, BadRecordPolicy.SKIP, record.length());
        assertEquals(1, t.records().size(), "the line of " + record.length() + " bytes");
        assertEquals(List.of(f + ": line 2: the line is longer than " + record.length() + " bytes"), t.problems(), "one byte more");
    }

    @Test
    void jsonlLinesThatCrossTheReadBufferAreReadWhole() throws Exception {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 2000; i++) s.append("{\"prompt\": \"").append("ü".repeat(i * 37 % 500)).append("\", \"answer\": \"").append(i).append("\"}\n");
        TaskFile t = TaskReader.read(file("big.jsonl", s.toString()), BadRecordPolicy.REJECT); // ~0.6 MB, read 64 KiB at a time
        assertEquals(2000, t.records().size(), "records");
        for (int i = 0; i < 2000; i++) {
            TaskRecord r = t.records().get(i);
            assertEquals(i * 37 % 500, r.prompt().length(), "prompt length of record " + i);
            assertEquals(Integer.toString(i), r.answer(), "answer of record " + i);
            assertEquals(i + 1, r.line(), "line of record " + i);
        }
    }

    @Test
    void nestingBeyondJacksonsLimitIsABadLineOrABrokenArrayNotAStackOverflow() throws Exception {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        Path lines = file("deep.jsonl", GOOD + "\n{\"prompt\": \"x\", \"answer\": \"y\", \"junk\": " + deep + "}\n");
        TaskFile t = TaskReader.read(lines, BadRecordPolicy.SKIP);
        assertEquals(1, t.skipped(), "the deep line");
        assertTrue(t.problems().getFirst().startsWith(lines + ": line 2: malformed JSON at column "), t.problems().getFirst());
        Path array = file("deep.json", "[" + GOOD + ",\n{\"prompt\": \"x\", \"answer\": \"y\", \"junk\": " + deep + "}]");
        assertTrue(assertThrows(TaskDataException.class, () -> TaskReader.read(array, BadRecordPolicy.SKIP)).getMessage()
                .startsWith(array + ": line 2: malformed JSON array at column "));
    }

    @Test
    void everySkippedRecordIsCountedButOnlyTheFirstThousandMessagesAreKept() throws Exception {
        StringBuilder s = new StringBuilder(GOOD).append('\n');
        for (int i = 0; i < 1500; i++) s.append("{\"prompt\": \"x\"}\n");
        TaskFile t = TaskReader.read(file("many.jsonl", s.toString()), BadRecordPolicy.SKIP);
        assertEquals(1500, t.skipped(), "skipped count");
        assertEquals(TaskReader.KEPT_PROBLEMS, t.problems().size(), "messages kept");
        assertTrue(t.problems().get(999).contains(": line 1001: "), t.problems().get(999));
    }
}
