import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.piece4j.piece.continual.report.Charts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws docs/performance.md's scaling charts from the JSON records of `piece bench train --json` (one record a line):
 * seconds per masked step, and memory, against the parameter count. Run from the repository root after ./piece build:
 *
 *   java -cp "bench/target/lib/*" docs/performance/ScalingCharts.java docs/performance/scaling-masked-2026-11-30.jsonl docs/performance
 *
 * Writes scaling-step-time.png and scaling-memory.png into the folder given second. The "dense AdamW" series is
 * computed, not measured: weights, a gradient and two moments, four times the weights' bytes.
 */
public class ScalingCharts {
    public static void main(String[] args) throws Exception {
        if (args.length != 2) throw new IllegalArgumentException("usage: ScalingCharts RECORDS.jsonl OUTPUT_FOLDER");
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> runs = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) if (!line.isBlank()) runs.add(json.readTree(line));
        int n = runs.size();
        double[] params = new double[n], seconds = new double[n], weights = new double[n], arena = new double[n], heap = new double[n],
                dense = new double[n];
        for (int i = 0; i < n; i++) {
            JsonNode r = runs.get(i);
            params[i] = r.get("parameters").asDouble() / 1e6;
            seconds[i] = r.get("seconds_per_step").asDouble();
            weights[i] = r.get("weight_bytes").asDouble() / 1e9;
            arena[i] = r.get("activation_arena_bytes").asDouble() / 1e9;
            heap[i] = r.get("heap_peak_pools_bytes").asDouble() / 1e9;
            dense[i] = 4 * r.get("weight_bytes").asDouble() / 1e9;
        }
        Path out = Path.of(args[1]);
        Charts.scatter("Masked PIECE step (r = 0.001, 512 tokens), simd, 2 threads", new String[] {"seconds per step"},
                new double[][] {params}, new double[][] {seconds}, "parameters (millions)", "seconds per step",
                out.resolve("scaling-step-time.png"));
        Charts.scatter("Memory of the masked step against the parameter count",
                new String[] {"heap peak (measured)", "weights", "activation arena", "dense AdamW would hold (4 x weights)"},
                new double[][] {params, params, params, params}, new double[][] {heap, weights, arena, dense},
                "parameters (millions)", "GB", out.resolve("scaling-memory.png"));
    }
}
