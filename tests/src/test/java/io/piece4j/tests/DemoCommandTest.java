package io.piece4j.tests;

import io.piece4j.nn.json.JsonReader;
import io.piece4j.piece.bundled.BundledBase;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `piece demo`, the first command a newcomer runs, on a small cut of its own defaults: the bundled base comes out
 * of the jar, every method runs through the continual runner, the table and the report are written, and a second
 * call continues the finished run instead of training again.
 */
class DemoCommandTest {
    private static Object[] run(String... args) {
        PieceRun r = PieceRun.of(args);
        return new Object[] {r.exitCode(), r.out(), r.err()};
    }

    @Test
    @SuppressWarnings("unchecked")
    void theDemoRunsEveryMethodFromTheBundledBaseAndWritesTheTableAndTheReport() throws Exception {
        Path dir = Files.createTempDirectory("demo");
        String[] args = {"demo", "--out", dir.toString(), "--tasks", "dates,categories", "--max-train", "16", "--max-test", "4",
                "--epochs", "1", "--methods", "piece-s,piece-s@0.05,seqft", "--backend", "simd", "--threads", "2"};
        Object[] r = run(args);
        assertEquals(0, r[0], r[1] + "\n" + r[2]);
        String out = (String) r[1];

        // the base is the jar's model, byte for byte
        byte[] base = Files.readAllBytes(dir.resolve("base.gguf"));
        assertEquals(BundledBase.digest(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(base)));

        Map<String, Object> results = (Map<String, Object>) JsonReader.parse(Files.readString(dir.resolve("run/results.json")));
        Map<String, Object> methods = (Map<String, Object>) results.get("methods");
        assertEquals(List.of("piece-s", "piece-s@0.05", "seqft"), List.copyOf(methods.keySet()));
        for (String m : methods.keySet()) {
            Map<String, Object> v = (Map<String, Object>) methods.get(m);
            assertEquals(true, v.get("complete"), m + " finished both tasks");
            List<List<Object>> rMatrix = (List<List<Object>>) v.get("R");
            assertEquals(2, rMatrix.size(), m + ": a row of scores after each task");
            double fraction = ((Number) v.get("trainable_fraction")).doubleValue();
            if (m.equals("seqft")) assertEquals(1.0, fraction, 1e-12, "full fine-tuning trains everything");
            else if (m.equals("piece-s@0.05")) assertTrue(fraction > 0.045 && fraction <= 0.05, m + " trains the top 5 % (embeddings excluded): " + fraction);
            else assertTrue(fraction > 0.0009 && fraction <= 0.001, m + " trains the top 0.1 % (embeddings excluded): " + fraction);
            assertTrue(out.lines().anyMatch(l -> l.startsWith("| " + m + " |")), "the table has a row for " + m + ":\n" + out);
        }
        assertTrue(Files.isRegularFile(dir.resolve("run/report.md")), "report.md");
        try (var charts = Files.list(dir.resolve("run/charts"))) {
            assertTrue(charts.anyMatch(p -> p.toString().endsWith(".png")), "PNG charts");
        }
        String last = out.strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.contains(dir.resolve("run").toAbsolutePath().normalize().toString()), "the last line names the report's folder: " + last);

        // a second call finds the finished run and prints the same table without training again
        Object[] again = run(args);
        assertEquals(0, again[0], (String) again[2]);
        assertTrue(((String) again[1]).contains("continuing the run"), (String) again[1]);
        assertEquals(tableOf(out), tableOf((String) again[1]), "the same numbers from the finished run");
    }

    /** The summary table's rows without the time column (a continued run's timings are the recorded ones anyway). */
    private static List<String> tableOf(String out) {
        return out.lines().filter(l -> l.startsWith("| ")).map(l -> l.substring(0, l.lastIndexOf('|', l.length() - 2))).toList();
    }
}
