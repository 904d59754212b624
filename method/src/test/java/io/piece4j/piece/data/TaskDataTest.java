package io.piece4j.piece.data;

import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.piece.TokenBatch;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading TRACE-style task files, bad records, tokenisation with the answer-only loss, batching, shuffling. */
class TaskDataTest {
    private static Path file(String name, byte[] content) throws Exception {
        Path dir = Files.createTempDirectory("task");
        Path f = dir.resolve(name);
        Files.write(f, content);
        return f;
    }

    private static Path file(String name, String content) throws Exception {
        return file(name, content.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsJsonArrayAndJsonlAlike() throws Exception {
        Path arr = file("a.json", "[\n {\"prompt\": \"1+1=\", \"answer\": \"2\", \"id\": 7},\n {\"prompt\": \"\", \"answer\": \"ok\"}\n]");
        Path jl = file("a.jsonl", "{\"prompt\": \"1+1=\", \"answer\": \"2\"}\n\n{\"answer\": \"ok\", \"prompt\": \"\"}\n");
        for (Path p : List.of(arr, jl)) {
            TaskFile t = TaskReader.read(p, BadRecordPolicy.REJECT);
            assertEquals(2, t.records().size(), p.toString());
            assertEquals("1+1=", t.records().get(0).prompt());
            assertEquals("ok", t.records().get(1).answer());
            assertEquals(0, t.skipped());
        }
        assertEquals(3, TaskReader.read(arr, BadRecordPolicy.REJECT).records().get(1).line());
        assertEquals(3, TaskReader.read(jl, BadRecordPolicy.REJECT).records().get(1).line());
    }

    @Test
    void eachKindOfBadRecordIsSkippedWithFileAndLineOrRejected() throws Exception {
        String[][] cases = {
                {"{\"answer\": \"x\"}", "field 'prompt' is missing"},
                {"{\"prompt\": \"x\"}", "field 'answer' is missing"},
                {"{\"prompt\": 3, \"answer\": \"x\"}", "field 'prompt' must be a string, found a number"},
                {"{\"prompt\": \"x\", \"answer\": null}", "field 'answer' must be a string, found null"},
                {"{\"prompt\": \"x\", \"answer\": [\"a\"]}", "field 'answer' must be a string, found an array"},
                {"{\"prompt\": \"x\", \"answer\": \"\"}", "field 'answer' is empty"},
                {"{\"prompt\": \"x\", \"answer\": ", "malformed JSON"},
                {"[1, 2]", "expected a JSON object"},
        };
        for (String[] c : cases) {
            Path f = file("t.jsonl", "{\"prompt\": \"good\", \"answer\": \"yes\"}\n" + c[0] + "\n");
            TaskFile t = TaskReader.read(f, BadRecordPolicy.SKIP);
            assertEquals(1, t.records().size(), c[0]);
            assertEquals(1, t.skipped(), c[0]);
            assertTrue(t.problems().get(0).contains(f + ": line 2: " + c[1]), t.problems().get(0));
            TaskDataException e = assertThrows(TaskDataException.class, () -> TaskReader.read(f, BadRecordPolicy.REJECT), c[0]);
            assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    @Test
    void invalidUtf8MakesItsRecordBadInBothFormats() throws Exception {
        byte[] bad = {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', ',', '"', 'a', 'n', 's', 'w',
                'e', 'r', '"', ':', '"', 'x', '"', '}'};
        byte[] good = "{\"prompt\": \"über\", \"answer\": \"ß\"}".getBytes(StandardCharsets.UTF_8);
        byte[] jsonl = concat(good, "\n".getBytes(), bad, "\n".getBytes());
        byte[] array = concat("[\n".getBytes(), good, ",\n".getBytes(), bad, "\n]".getBytes());
        for (Path f : List.of(file("u.jsonl", jsonl), file("u.json", array))) {
            TaskFile t = TaskReader.read(f, BadRecordPolicy.SKIP);
            assertEquals(1, t.records().size());
            assertEquals("über", t.records().get(0).prompt());
            assertTrue(t.problems().get(0).contains("not valid UTF-8"), t.problems().get(0));
        }
    }

    @Test
    void brokenFilesAreErrorsNamingFileAndLine() throws Exception {
        Path unclosed = file("x.json", "[\n{\"prompt\": \"a\", \"answer\": \"b\"}\n");
        assertTrue(assertThrows(TaskDataException.class, () -> TaskReader.read(unclosed, BadRecordPolicy.SKIP)).getMessage().contains("x.json"));
        Path empty = file("e.jsonl", "  \n");
        assertTrue(assertThrows(TaskDataException.class, () -> TaskReader.read(empty, BadRecordPolicy.SKIP)).getMessage().contains("empty"));
        Path allBad = file("b.jsonl", "{\"prompt\": 1}\n");
        assertTrue(assertThrows(TaskDataException.class, () -> TaskReader.read(allBad, BadRecordPolicy.SKIP)).getMessage().contains("no usable record"));
        Path text = file("t.json", "hello");
        assertTrue(assertThrows(TaskDataException.class, () -> TaskReader.read(text, BadRecordPolicy.SKIP)).getMessage().contains("line 1"));
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) { System.arraycopy(p, 0, out, o, p.length); o += p.length; }
        return out;
    }

    @Test
    void exampleIsBosPromptAnswerEosWithLossOnlyOnAnswerAndEos() {
        // byte tokenizer: 'a' = 97 + 3 = 100, 'b' = 101, 'X' = 91, 'Y' = 92; BOS 1, EOS 2
        Example e = Example.of(new TaskRecord("ab", "XY", 1), new ByteTokenizer(), TruncationSettings.none());
        assertArrayEquals(new int[] {1, 100, 101, 91, 92, 2}, e.tokens());
        assertEquals(3, e.promptLength());
        // positions 0, 1 predict prompt tokens: not scored; 2 -> 'X', 3 -> 'Y', 4 -> EOS; 5 predicts nothing
        assertArrayEquals(new int[] {-1, -1, 91, 92, 2, -1}, e.targets());
        assertFalse(e.truncated());
    }

    @Test
    void truncationCutsThePromptFromTheLeftAndTheAnswerFromTheRightKeepingEos() {
        ByteTokenizer tok = new ByteTokenizer();
        Example e = Example.of(new TaskRecord("abcdef", "XYZ", 1), tok, new TruncationSettings(2, 2, 0));
        assertArrayEquals(new int[] {1, 'e' + 3, 'f' + 3, 'X' + 3, 'Y' + 3, 2}, e.tokens());
        assertTrue(e.truncated());
        Example fit = Example.of(new TaskRecord("abcdef", "XYZ", 1), tok, new TruncationSettings(0, 0, 6));
        assertArrayEquals(new int[] {1, 'f' + 3, 'X' + 3, 'Y' + 3, 'Z' + 3, 2}, fit.tokens(), "the model context cuts the prompt first");
    }

    @Test
    void batchesArePaddedOnTheRightWithIgnoredTargets() {
        ByteTokenizer tok = new ByteTokenizer();
        List<Example> ex = List.of(Example.of(new TaskRecord("a", "X", 1), tok, TruncationSettings.none()),
                Example.of(new TaskRecord("abc", "XY", 2), tok, TruncationSettings.none()),
                Example.of(new TaskRecord("", "Z", 3), tok, TruncationSettings.none()));
        List<TokenBatch> b = Batcher.inOrder(ex, 2);
        assertEquals(2, b.size());
        assertEquals(7, b.get(0).seq());
        assertArrayEquals(new int[] {1, 100, 91, 2, 0, 0, 0}, Arrays.copyOfRange(b.get(0).tokens(), 0, 7));
        assertArrayEquals(new int[] {-1, 91, 2, -1, -1, -1, -1}, Arrays.copyOfRange(b.get(0).targets(), 0, 7));
        assertEquals(1, b.get(1).batch(), "the last partial batch is kept");
        assertEquals(2 + 3, b.get(0).scoredTokens(), "X, EOS of the first; X, Y, EOS of the second");
    }

    @Test
    void shufflingIsAFunctionOfSeedAndEpochAndCoversEveryExampleOnce() {
        int[] e0 = Batcher.order(100, 5, 0), again = Batcher.order(100, 5, 0), e1 = Batcher.order(100, 5, 1);
        assertArrayEquals(e0, again);
        assertFalse(Arrays.equals(e0, e1));
        int[] sorted = e1.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 100; i++) assertEquals(i, sorted[i]);
    }

    @Test
    void splitsAreDeterministicAndDisjoint() {
        List<TaskRecord> r = new ArrayList<>();
        for (int i = 0; i < 50; i++) r.add(new TaskRecord("p" + i, "a" + i, i + 1));
        Splits.Split s = Splits.split(r, 10, 30, 9);
        assertEquals(10, s.test().size());
        assertEquals(30, s.train().size());
        assertEquals(s, Splits.split(r, 10, 30, 9));
        assertNotEquals(s.test(), Splits.split(r, 10, 30, 10).test());
        for (TaskRecord t : s.test()) assertFalse(s.train().contains(t));
    }
}
