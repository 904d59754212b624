package io.piece4j.bench;

import io.piece4j.cli.PieceCli;
import io.piece4j.nn.json.JsonReader;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `piece bench compare` end to end on the tiny shape: whatever references this machine has, piece4j's
 * figures print, a missing reference is named with its reason, and the JSON line holds every row.
 * (Speeds are not asserted: a ratio is only meaningful in a real run on a quiet machine.)
 */
class CompareBenchTest {
    /** Runs `piece args...` in-process; returns the exit code and stdout. */
    private static Object[] piece(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            code = PieceCli.commandLine().execute(args);
        } finally {
            System.setOut(old);
        }
        return new Object[] {code, buf.toString(StandardCharsets.UTF_8)};
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> lastJson(String stdout) throws Exception {
        String[] lines = stdout.strip().split("\n");
        return (Map<String, Object>) JsonReader.parse(lines[lines.length - 1]);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> reference(Map<String, Object> json, String name) {
        for (Object o : (List<Object>) json.get("references")) {
            Map<String, Object> r = (Map<String, Object>) o;
            if (name.equals(r.get("name"))) return (Map<String, Object>) r.get("result");
        }
        throw new AssertionError("no reference " + name + " in " + json.get("references"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> row(Map<String, Object> json, String measurePrefix) {
        for (Object o : (List<Object>) json.get("rows")) {
            Map<String, Object> r = (Map<String, Object>) o;
            if (((String) r.get("measure")).startsWith(measurePrefix)) return r;
        }
        throw new AssertionError("no row starting with '" + measurePrefix + "' in " + json.get("rows"));
    }

    @Test
    void modelJobsPrintPiece4jFiguresAndNameAMissingPyTorch() throws Exception {
        Path cache = Files.createTempDirectory("compare-cache");
        Object[] r = piece("bench", "compare", "--parts", "model", "--config", "tiny", "--batch", "2", "--seq", "32", "--steps", "1", "--warmup", "2",
                "--importance-batches", "2", "--gen-tokens", "8", "--stream-mib", "16", "--fma-iterations", "1",
                "--python", "/nonexistent/python3", "--no-install", "--cache", cache.toString(), "--threads", "2", "--json");
        String out = (String) r[1];
        assertEquals(0, r[0], out);
        Map<String, Object> json = lastJson(out);
        assertEquals("compare", json.get("benchmark"));
        assertEquals(2, ((Number) json.get("warmup")).intValue(), "the JSON records the warm-up steps the training jobs had: " + json.get("warmup"));
        assertEquals(Boolean.TRUE, json.get("activation_arena"), "training jobs run in an activation arena, as the Trainer's steps do");
        Map<String, Object> full = row(json, "training step, full (tiny, 2x32)");
        assertTrue(((Number) full.get("piece4j")).doubleValue() > 0, "piece4j's tokens/s prints: " + full);
        assertNull(full.get("reference_value"), "PyTorch could not run, so its figure is null: " + full);
        assertNull(full.get("met"), "no verdict without a reference: " + full);
        Map<String, Object> torch = reference(json, "pytorch");
        assertEquals("missing", torch.get("status"));
        assertTrue(String.valueOf(torch.get("reason")).contains("/nonexistent/python3"), "the reason names the Python tried: " + torch);
        assertTrue(out.contains("| importance pass (PIECE-S, 2 batches) | tokens/s |"), "the table has the importance row:\n" + out);
        Map<String, Object> masked = row(json, "masked PIECE step (r = 0.001) vs piece4j's full step");
        assertTrue(masked.get("ratio") instanceof Double d && d > 0, "masked vs full is measured in the same run: " + masked);

        // bf16 and q8 decoding are compared with piece4j's own fp32 figure of the same run
        double fp32 = ((Number) row(json, "generation, batch 1, fp32").get("piece4j")).doubleValue();
        for (String packed : List.of("generation, batch 1, bf16", "generation, batch 1, q8")) {
            Map<String, Object> g = row(json, packed);
            assertEquals(fp32, ((Number) g.get("reference_value")).doubleValue(), packed + " is measured against the fp32 row: " + g);
            assertTrue(g.get("ratio") instanceof Double d && d > 0 && g.get("met") instanceof Boolean, packed + " has a ratio and a verdict: " + g);
        }

        Map<String, Object> stream = reference(json, "stream_read");
        if (ReferencePrograms.onPath("gcc")) {
            assertEquals("ran", stream.get("status"), "with gcc the bandwidth test builds and runs: " + stream);
            Map<String, Object> gen = row(json, "generation, batch 1, fp32");
            assertTrue(gen.get("reference_value") instanceof Double bound && bound > 0, "the memory bound is computed: " + gen);
            assertTrue(Files.isExecutable(cache.resolve("stream_read")) && Files.isExecutable(cache.resolve("fma_peak")),
                    "the C programs are built into the cache folder");
        } else {
            assertEquals("missing", stream.get("status"));
            assertTrue(String.valueOf(stream.get("reason")).contains("gcc"), stream.toString());
        }
    }

    @Test
    void sgemmRowsForEveryBackendAskedForWithOpenBlasRunOrNamedMissing() throws Exception {
        Path cache = Files.createTempDirectory("compare-cache");
        Object[] r = piece("bench", "compare", "--parts", "sgemm", "--sizes", "64", "--layouts", "nn,tn", "--matmul-backends", "simd,ejml",
                "--no-install", "--cache", cache.toString(), "--threads", "2", "--json");
        String out = (String) r[1];
        assertEquals(0, r[0], out);
        Map<String, Object> json = lastJson(out);
        for (String be : List.of("simd", "ejml")) {
            for (String layout : List.of("nn", "tn")) {
                Map<String, Object> row = row(json, "SGEMM 64^3 " + layout + ", " + be);
                assertTrue(((Number) row.get("piece4j")).doubleValue() > 0, "GFLOP/s of " + be + " " + layout + ": " + row);
            }
        }
        Map<String, Object> blas = reference(json, "openblas_sgemm");
        if ("ran".equals(blas.get("status"))) {
            assertNotNull(row(json, "SGEMM 64^3 nn, simd").get("ratio"), "with OpenBLAS there is a ratio");
            assertTrue(String.valueOf(blas.get("command")).contains("-u OPENBLAS_L2_SIZE"), "L2 override removed for OpenBLAS: " + blas);
            assertTrue(row(json, "SGEMM 64^3 nn, simd").get("reference").toString().contains(" kernels"), "the kernels that ran are named");
        } else {
            assertTrue(blas.get("reason") != null && !blas.get("reason").toString().isBlank(), "a missing OpenBLAS says why: " + blas);
        }
        assertEquals(Boolean.TRUE, row(json, "SGEMM 64^3 nn, simd").get("target") != null, "simd's rows carry the >= 0.95x target");
        assertNull(row(json, "SGEMM 64^3 nn, ejml").get("target"), "ejml is a comparison point without a target");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theGeneratePartMeasuresFp32Bf16AndQ8DecodingAloneAgainstTheSameRunsFp32() throws Exception {
        Path cache = Files.createTempDirectory("compare-cache");
        Object[] r = piece("bench", "compare", "--parts", "generate", "--config", "tiny", "--gen-tokens", "8", "--stream-mib", "16",
                "--no-install", "--cache", cache.toString(), "--threads", "2", "--json");
        String out = (String) r[1];
        assertEquals(0, r[0], out);
        Map<String, Object> json = lastJson(out);
        List<Object> rows = (List<Object>) json.get("rows");
        assertEquals(4, rows.size(), "fp32 vs the memory bound, bf16, q8 and the packed decoder's fp32; nothing else ran: " + rows);
        double fp32 = ((Number) row(json, "generation, batch 1, fp32").get("piece4j")).doubleValue();
        Map<String, Object> q8 = row(json, "generation, batch 1, q8");
        assertEquals(fp32, ((Number) q8.get("reference_value")).doubleValue(), "q8 against this run's fp32: " + q8);
        assertEquals(">= 2.5x", q8.get("target"), "the q8 target of issue 10: " + q8);
        Map<String, Object> figures = (Map<String, Object>) json.get("figures");
        double q8Bytes = ((Number) figures.get("generate_q8_packed_weight_bytes")).doubleValue();
        double f32Bytes = ((Number) figures.get("generate_f32_packed_weight_bytes")).doubleValue();
        assertTrue(q8Bytes < 0.3 * f32Bytes, "q8 holds about 1.125 of float32's 4 bytes per matrix value: " + q8Bytes + " vs " + f32Bytes);

        // the memory bound comes from bandwidths measured beside the five decoding rounds, not from the opening figure
        List<Object> rounds = (List<Object>) figures.get("generate_round_stream_gbps");
        assertEquals(5, rounds.size(), "one bandwidth per decoding round: " + rounds);
        Map<String, Object> bound = row(json, "generation, batch 1, fp32");
        if ("ran".equals(reference(json, "stream_read").get("status"))) {
            double[] gbps = rounds.stream().mapToDouble(o -> ((Number) o).doubleValue()).sorted().toArray();
            assertTrue(gbps[0] > 0, "every round measured a bandwidth: " + rounds);
            double expected = gbps[2] * 1e9 / ((Number) figures.get("weight_bytes_per_token")).doubleValue();
            assertEquals(expected, ((Number) bound.get("reference_value")).doubleValue(), 1e-9 * expected,
                    "the bound is the rounds' median bandwidth over the bytes per token: " + bound);
            assertTrue(((String) bound.get("reference")).contains("beside each decoding round"), "the row says so: " + bound);
            String spread = String.format(java.util.Locale.ROOT, "%.1f-%.1f GB/s", gbps[0], gbps[4]);
            assertTrue(((String) bound.get("note")).contains(spread), "the note gives the rounds' spread, " + spread + ": " + bound);
        }
    }

    @Test
    void anUnknownPartIsRejectedWithTheExpectedNames() {
        // PieceCli's handler turns a bad option value into one line on stderr and exit code 2, in-process as in `piece`
        Object[] r = piece("bench", "compare", "--parts", "sgem");
        assertEquals(2, r[0], "a misspelt part must fail before anything runs");
        assertTrue(((String) r[1]).isBlank(), "nothing measured or printed: " + r[1]);
    }

    @Test
    void aNegativeWarmupIsRejectedBeforeAnythingRuns() {
        Object[] r = piece("bench", "compare", "--parts", "model", "--config", "tiny", "--warmup", "-1");
        assertEquals(2, r[0], "a negative warm-up must fail before anything runs: " + r[1]);
        assertTrue(((String) r[1]).isBlank(), "nothing measured or printed: " + r[1]);
    }
}
