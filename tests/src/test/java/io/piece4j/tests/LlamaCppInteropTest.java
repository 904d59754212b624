package io.piece4j.tests;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.json.JsonReader;
import io.piece4j.nn.model.KvCache;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llama.cpp itself opens the GGUF piece writes (with --tokenizer) and decodes the same greedy ids, and its own
 * tokenizer reading the embedded vocabulary gives sentencepiece's ids. llama.cpp is reached through the npm
 * package node-llama-cpp (prebuilt CPU binaries), which needs a download, so this runs only when
 * -Dpiece.interop.llamacpp=DIR names a folder where node-llama-cpp is installed: {@code tests/interop/llamacpp.sh}
 * installs it and runs this test.
 */
class LlamaCppInteropTest {
    private static final String DIR = System.getProperty("piece.interop.llamacpp", "");
    private static final int[] PROMPT = {1, 300, 42, 7};
    private static final int STEPS = 24;

    @TempDir Path dir;

    @Test
    void llamaCppDecodesPiecesGgufToPiecesGreedyIdsAndTokenizesItsVocabularyLikeSentencepiece() throws Exception {
        Assumptions.assumeFalse(DIR.isEmpty(), "needs -Dpiece.interop.llamacpp=DIR (tests/interop/llamacpp.sh)");
        Path nodeDir = Path.of(DIR);
        assertTrue(Files.isDirectory(nodeDir.resolve("node_modules/node-llama-cpp")), nodeDir + " holds no node_modules/node-llama-cpp");
        String node = ExternalTools.require("llama.cpp through node-llama-cpp", "node");
        // ES modules resolve packages from the script's folder up, not from NODE_PATH: the script goes beside node_modules
        Path script = nodeDir.resolve("piece-llamacpp-greedy.mjs");
        Files.copy(ExternalTools.resource("/interop/llamacpp_greedy.mjs"), script, StandardCopyOption.REPLACE_EXISTING);

        LlamaConfig config = new LlamaConfig(64, 2, 4, 2, 16, 128, 700, 64, 1e-5f, 10000f, false, LlamaConfig.RopeLayout.HALF_SPLIT, null);
        LlamaModel model = new LlamaModel(config, new RefBackend());
        model.initRandom(31, 0.3f);
        Path st = dir.resolve("st/model.safetensors");
        ModelFiles.save(model, st, ModelFiles.Format.SAFETENSORS, "f32", null);
        List<Object> golden = JsonList.of(Files.readString(ExternalTools.resource("/tokenizer/spm-tiny.golden.json")));
        Path texts = dir.resolve("texts.json");
        Files.writeString(texts, "[" + golden.stream().map(g -> quote((String) ((Map<?, ?>) g).get("text"))).collect(Collectors.joining(",")) + "]");

        // llama.cpp multiplies F32 weights with float32 activations but rounds the activations to bf16 for BF16
        // weights and to 8 bits for Q8_0 ones, where piece keeps them in float32. llama.cpp is fed piece's tokens
        // (teacher forcing), and at every step its pick must be piece's unless piece's two best logits are closer
        // than that rounding can move them (a near tie, where either pick is right): for F32 no step may differ.
        for (String type : List.of("f32", "bf16", "q8_0")) {
            double nearTie = switch (type) { case "f32" -> 0; case "bf16" -> 0.02; default -> 0.05; }; // of the largest logit
            Path gguf = dir.resolve(type + ".gguf");
            PieceRun.of("convert", st.toString(), gguf.toString(), "--type", type,
                    "--tokenizer", ExternalTools.resource("/tokenizer/spm-tiny.tokenizer.bin").toString()).ok();
            Greedy piece = greedy(ModelFiles.load(gguf, new RefBackend())); // piece reading the same file
            List<String> command = List.of(node, script.toString(), gguf.toString(), Integer.toString(STEPS), join(PROMPT),
                    texts.toString(), piece.ids().stream().map(String::valueOf).collect(Collectors.joining(",")));
            var r = ExternalTools.run(600, command);
            assertEquals(0, r.exitCode(), type + ": node-llama-cpp failed: " + r.err());
            String json = r.out().lines().filter(l -> l.startsWith("{")).reduce((x, y) -> y).orElseThrow(() -> new AssertionError("no JSON: " + r.out()));
            Map<?, ?> result = (Map<?, ?>) JsonReader.parse(json);
            List<?> llamaCpp = (List<?>) result.get("greedy");
            assertEquals(STEPS, llamaCpp.size(), type + ": llama.cpp's steps");
            int compared = 0, differing = 0;
            StringBuilder report = new StringBuilder();
            for (int i = 0; i < STEPS; i++) {
                boolean same = ((Number) llamaCpp.get(i)).longValue() == piece.ids().get(i);
                boolean decided = piece.gaps()[i] > nearTie * piece.largest()[i];
                report.append(String.format(" %d:%s%s(gap %.3f)", i, same ? "=" : "!=", decided ? "" : "~", piece.gaps()[i]));
                if (!same) differing++;
                if (!decided) continue;
                compared++;
                assertTrue(same, type + ": at step " + i + " llama.cpp picks " + llamaCpp.get(i) + ", piece " + piece.ids().get(i)
                        + " (piece's gap " + piece.gaps()[i] + ", largest logit " + piece.largest()[i] + ")\n" + llamaCpp + "\n" + piece.ids());
            }
            System.out.println(type + ": " + compared + " steps compared, " + differing + " of " + STEPS + " picks differ;" + report);
            assertTrue(compared >= STEPS / 2, type + ": only " + compared + " of " + STEPS + " steps are no near tie");

            List<?> tokenized = (List<?>) result.get("tokenized");
            for (int i = 0; i < golden.size(); i++) {
                Map<?, ?> g = (Map<?, ?>) golden.get(i);
                assertEquals(g.get("ids"), tokenized.get(i), type + ": llama.cpp's tokens for " + quote((String) g.get("text"))
                        + " (sentencepiece's expected)");
            }
        }
    }

    /** A greedy continuation and, at each step, the gap between the two largest logits and the largest's size. */
    private record Greedy(List<Long> ids, double[] gaps, double[] largest) {}

    private static String join(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    /** piece4j's greedy continuation of PROMPT, not stopping at BOS or EOS. */
    private static Greedy greedy(LlamaModel model) {
        KvCache cache = new KvCache(model);
        float[] logits = cache.forward(PROMPT);
        List<Long> ids = new ArrayList<>();
        double[] gaps = new double[STEPS], largest = new double[STEPS];
        for (int i = 0; i < STEPS; i++) {
            int next = Sampler.argmax(logits);
            float second = Float.NEGATIVE_INFINITY;
            for (int v = 0; v < logits.length; v++) if (v != next) second = Math.max(second, logits[v]);
            gaps[i] = logits[next] - second;
            largest[i] = Math.abs(logits[next]);
            ids.add((long) next);
            if (i + 1 < STEPS) logits = cache.forward(next);
        }
        return new Greedy(ids, gaps, largest);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /** A JSON array read with the project's reader. */
    private static final class JsonList {
        static List<Object> of(String json) throws Exception {
            return castList(JsonReader.parse(json));
        }

        @SuppressWarnings("unchecked")
        private static List<Object> castList(Object o) { return (List<Object>) o; }
    }
}
