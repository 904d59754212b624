package io.piece4j.piece.continual;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LearningRateChoiceTest {
    private static String run(String method, double lr, Object op, boolean complete) {
        return "\"" + method + "@lr" + lr + "\": {\"method\": \"" + method + "\", \"lr\": " + lr + ", \"OP\": " + op + ", \"complete\": " + complete + "}";
    }

    private static Path results(String split, String... runs) throws Exception {
        Path f = Files.createTempDirectory("sweep").resolve("results.json");
        Files.writeString(f, "{\"config\": {\"eval_split\": \"" + split + "\"}, \"methods\": {" + String.join(",", runs) + "}}");
        return f;
    }

    @Test
    void eachMethodGetsTheRateWithTheBestValidationOpTiesToTheSmallerRate() throws Exception {
        Path f = results("valid",
                run("seqft", 1e-4, 0.50, true), run("seqft", 3e-5, 0.61, true), run("seqft", 1e-3, 0.70, false),
                run("piece-s", 1e-3, 0.30, true), run("piece-s", 3e-4, 0.30, true), run("piece-s", 3e-3, "null", true));
        Map<String, Float> chosen = LearningRateChoice.fromSweep(f);
        assertEquals(3e-5f, chosen.get("seqft"), "the best finished run; the unfinished 1e-3 does not count");
        assertEquals(3e-4f, chosen.get("piece-s"), "a tie goes to the smaller rate; a run without an OP does not count");
        assertEquals(2, chosen.size());
    }

    @Test
    void aSweepScoredOnTheTestSplitIsRefused() throws Exception {
        Path f = results("test", run("seqft", 1e-4, 0.5, true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LearningRateChoice.fromSweep(f));
        assertTrue(e.getMessage().contains("eval_split") && e.getMessage().contains("valid"), e.getMessage());
    }
}
