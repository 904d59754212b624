package io.piece4j.distributed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.piece4j.piece.train.TrainingCheckpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What "a sweep's results equal the local runner's" means: results.json identical but for the wall-clock
 * fields (seconds) and the machine facts (environment), and every run's final model and masks identical bit
 * for bit.
 */
final class ResultsComparison {
    private ResultsComparison() {}

    /** results.json without the fields that measure time or name the machine. */
    static JsonNode numbers(Path out) throws IOException {
        JsonNode j = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        ((ObjectNode) j).remove("environment");
        stripSeconds(j);
        return j;
    }

    private static void stripSeconds(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.remove("seconds");
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) stripSeconds(it.next().getValue());
        } else if (n.isArray()) {
            for (JsonNode c : n) stripSeconds(c);
        }
    }

    static void assertSameResults(Path expected, Path actual) throws IOException {
        JsonNode e = numbers(expected), a = numbers(actual);
        if (!e.equals(a)) {
            // name the first differing field rather than printing two whole documents
            assertEquals(e.toPrettyString(), a.toPrettyString(), "results.json differs from the local runner's");
        }
        List<Path> files = runFiles(expected);
        assertEquals(files, runFiles(actual), "the run folders hold the same files");
        for (Path rel : files) {
            if (rel.toString().endsWith(".ckpt")) {
                assertArrayEquals(TrainingCheckpoint.read(expected.resolve(rel)).params(), TrainingCheckpoint.read(actual.resolve(rel)).params(),
                        rel + ": the trained model differs from the local runner's");
            } else if (rel.toString().endsWith(".mask")) {
                assertArrayEquals(Files.readAllBytes(expected.resolve(rel)), Files.readAllBytes(actual.resolve(rel)), rel + " differs");
            }
        }
    }

    /** Model and mask files under runs/, relative to out, sorted. */
    static List<Path> runFiles(Path out) throws IOException {
        try (Stream<Path> s = Files.walk(out.resolve("runs"))) {
            List<Path> l = new ArrayList<>(s.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".ckpt") || p.toString().endsWith(".mask")).map(out::relativize).toList());
            l.sort(null);
            return l;
        }
    }
}
