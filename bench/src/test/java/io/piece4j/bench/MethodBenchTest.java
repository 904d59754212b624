package io.piece4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.piece4j.cli.PieceCli;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `piece bench methods`: SeqFT first as the reference, and memory accounted from what each method trains and keeps. */
class MethodBenchTest {
    @Test
    void accountsEachMethodsBuffersAgainstSeqFt() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            code = PieceCli.commandLine().execute("bench", "methods", "--config", "tiny", "--methods", "seqlora,layernorm,migu",
                    "--batch", "2", "--seq", "32", "--steps", "2", "--backend", "ref", "--json");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        String[] lines = out.strip().split("\n");
        JsonNode j = new ObjectMapper().readTree(lines[lines.length - 1]);
        JsonNode rows = j.get("rows");
        assertEquals(4, rows.size(), "seqft and the three methods: " + rows);
        assertEquals("seqft", rows.get(0).get("method").asText(), "the reference comes first");
        assertEquals(1.0, rows.get(0).get("step_ratio_vs_seqft").asDouble(), 1e-12);
        long p = j.get("parameters").asLong();
        // tiny: dim 64, 2 layers, 4 heads of 16, 2 KV heads, hidden 160, vocab 512, tied
        assertEquals(4L * p, rows.get(0).get("gradient_bytes").asLong(), "SeqFT: a P-float gradient");
        assertEquals(8L * p, rows.get(0).get("optimizer_bytes").asLong(), "SeqFT: two AdamW moments per parameter");
        long adapter = 2 * (8 * (64 + 64) + 8 * (64 + 32));     // rank 8 on wq (64 x 64) and wv (32 x 64)
        JsonNode lora = rows.get(1);
        assertEquals("seqlora", lora.get("method").asText());
        assertEquals(4 * adapter, lora.get("own_parameter_bytes").asLong(), "the adapter");
        assertEquals(4 * adapter, lora.get("gradient_bytes").asLong(), "the adapter's gradient only");
        assertEquals(8 * adapter, lora.get("optimizer_bytes").asLong());
        assertTrue(lora.get("state_bytes").asLong() > 4 * (adapter + 2 * (64 * 64 + 32 * 64)), "adapter and base weights are kept: " + lora);
        long norms = 2 * 2 * 64 + 64;
        assertEquals(8 * norms, rows.get(2).get("optimizer_bytes").asLong(), "LayerNorm-only: moments of the norm gains only");
        assertEquals(8L * (p - 512 * 64 - norms), rows.get(3).get("optimizer_bytes").asLong(), "MIGU: moments of every linear weight");
        for (JsonNode r : rows) assertTrue(r.get("step_seconds").asDouble() > 0, "timed: " + r);
    }
}
