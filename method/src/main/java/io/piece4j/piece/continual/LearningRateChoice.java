package io.piece4j.piece.continual;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Picks each method's learning rate from an earlier sweep (`piece continual --lr-sweep ... --eval-split
 * valid`): for every method, the rate whose run reached the highest OP on the validation records; a tie
 * goes to the smaller rate, and runs that did not finish or have no OP are ignored. The rule uses only
 * validation scores, so the test split never informs the choice.
 */
public final class LearningRateChoice {
    private LearningRateChoice() {}

    /** method name -> chosen learning rate, read from the sweep's results.json. */
    public static Map<String, Float> fromSweep(Path sweepResults) throws IOException {
        Path file = Files.isDirectory(sweepResults) ? sweepResults.resolve("results.json") : sweepResults;
        JsonNode root = JsonFiles.MAPPER.readTree(file.toFile());
        if (!"valid".equals(root.at("/config/eval_split").asText())) {
            throw new IllegalArgumentException(file + ": field 'config.eval_split' = '" + root.at("/config/eval_split").asText()
                    + "': expected 'valid' (choose learning rates on the validation split, never on the test split)");
        }
        Map<String, Float> best = new LinkedHashMap<>();
        Map<String, Double> bestOp = new LinkedHashMap<>();
        for (var it = root.get("methods").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode m = e.getValue();
            if (!m.path("complete").asBoolean(false) || !m.path("OP").isNumber()) continue;
            String method = m.get("method").asText();
            float lr = (float) m.get("lr").asDouble();
            double op = m.get("OP").asDouble();
            Double prev = bestOp.get(method);
            if (prev == null || op > prev || op == prev && lr < best.get(method)) {
                best.put(method, lr);
                bestOp.put(method, op);
            }
        }
        if (best.isEmpty()) throw new IllegalArgumentException(file + ": no finished run with an OP: expected a completed learning-rate sweep");
        return best;
    }
}
