package io.piece4j.piece.continual;

import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.data.TaskRecord;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SuiteReaderTest {
    private static String jsonArray(int n, String tag) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ",").append("{\"prompt\": \"").append(tag).append(i).append("\", \"answer\": \"a").append(i).append("\"}");
        return sb.append("]").toString();
    }

    private static Path traceDir() throws Exception {
        Path dir = Files.createTempDirectory("trace");
        for (String t : new String[] {"C-STANCE", "FOMC", "Py150"}) {
            Files.createDirectories(dir.resolve(t));
            Files.writeString(dir.resolve(t).resolve("train.json"), jsonArray(20, t + "-train-"));
            Files.writeString(dir.resolve(t).resolve("test.json"), jsonArray(10, t + "-test-"));
        }
        Files.writeString(dir.resolve("FOMC").resolve("eval.json"), jsonArray(5, "FOMC-eval-"));
        return dir;
    }

    @Test
    void traceLayoutGivesEachTaskItsStandardMetricInTheGivenOrder() throws Exception {
        Path dir = traceDir();
        Suite s = SuiteReader.read("trace:" + dir, new SuiteReader.Options(List.of("Py150", "C-STANCE", "FOMC"), 0, 0, 1));
        assertEquals(List.of("Py150", "C-STANCE", "FOMC"), s.taskNames());
        assertEquals(TaskMetric.PY150_SIMILARITY, s.task("Py150").metric());
        assertEquals(TaskMetric.ACCURACY_LETTER, s.task("C-STANCE").metric());
        assertEquals(20, s.task("FOMC").train().size());
        assertEquals(5, s.task("FOMC").valid().size(), "eval.json is the validation split");
        assertEquals(0, s.task("Py150").valid().size());
        assertEquals("C-STANCE-test-3", s.task("C-STANCE").test().get(3).prompt());
    }

    @Test
    void subsamplingIsSeededAndKeepsFileOrder() throws Exception {
        Path dir = traceDir();
        Suite a = SuiteReader.read("trace:" + dir, new SuiteReader.Options(List.of("FOMC"), 8, 4, 3));
        Suite b = SuiteReader.read("trace:" + dir, new SuiteReader.Options(List.of("FOMC"), 8, 4, 3));
        Suite c = SuiteReader.read("trace:" + dir, new SuiteReader.Options(List.of("FOMC"), 8, 4, 4));
        List<TaskRecord> train = a.task("FOMC").train();
        assertEquals(8, train.size());
        assertEquals(4, a.task("FOMC").test().size());
        assertEquals(train, b.task("FOMC").train(), "same seed, same records");
        assertNotEquals(train, c.task("FOMC").train(), "another seed draws other records");
        List<Integer> lines = new ArrayList<>();
        for (TaskRecord r : train) lines.add(Integer.parseInt(r.prompt().substring(r.prompt().lastIndexOf('-') + 1)));
        assertEquals(lines.stream().sorted().toList(), lines, "kept records stay in file order");
    }

    @Test
    void traceTaskWithoutAStandardMetricOrFilesIsOneClearError() throws Exception {
        Path dir = traceDir();
        Files.createDirectories(dir.resolve("Mine"));
        Files.writeString(dir.resolve("Mine/train.json"), jsonArray(3, "x"));
        Files.writeString(dir.resolve("Mine/test.json"), jsonArray(3, "x"));
        SuiteException e = assertThrows(SuiteException.class, () -> SuiteReader.read("trace:" + dir, new SuiteReader.Options(List.of("Mine"), 0, 0, 1)));
        assertTrue(e.getMessage().contains("'Mine' has no standard metric"), e.getMessage());
        e = assertThrows(SuiteException.class, () -> SuiteReader.read("trace:" + dir, new SuiteReader.Options(List.of("FOMC", "NumGLUE-cm"), 0, 0, 1)));
        assertTrue(e.getMessage().contains("NumGLUE-cm") && e.getMessage().contains("no such folder"), e.getMessage());
    }

    @Test
    void suiteJsonTaskSelectionAndDuplicateNames() throws Exception {
        Path dir = Files.createTempDirectory("suite");
        Files.createDirectories(dir.resolve("a"));
        Files.writeString(dir.resolve("a/train.json"), jsonArray(4, "t"));
        Files.writeString(dir.resolve("a/test.json"), jsonArray(2, "t"));
        String task = "{\"name\": \"%s\", \"train\": \"a/train.json\", \"test\": \"a/test.json\", \"metric\": \"rouge-l\", \"max_new_tokens\": 9}";
        Files.writeString(dir.resolve("suite.json"), "{\"name\": \"s\", \"tasks\": [" + task.formatted("x") + "," + task.formatted("y") + "]}");
        Suite s = SuiteReader.read(dir.toString(), new SuiteReader.Options(List.of("y"), 0, 0, 1));
        assertEquals(List.of("y"), s.taskNames());
        assertEquals(9, s.task("y").maxNewTokens());
        SuiteException e = assertThrows(SuiteException.class, () -> SuiteReader.read(dir.toString(), new SuiteReader.Options(List.of("z"), 0, 0, 1)));
        assertTrue(e.getMessage().contains("--tasks names 'z'"), e.getMessage());
        Files.writeString(dir.resolve("suite.json"), "{\"name\": \"s\", \"tasks\": [" + task.formatted("x") + "," + task.formatted("x") + "]}");
        e = assertThrows(SuiteException.class, () -> SuiteReader.read(dir.toString(), SuiteReader.Options.all()));
        assertTrue(e.getMessage().contains("tasks[1].name") && e.getMessage().contains("not used by an earlier task"), e.getMessage());
    }
}
