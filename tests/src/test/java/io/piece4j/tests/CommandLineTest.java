package io.piece4j.tests;


import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.format.SafetensorsFile;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskFile;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;




import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command lines other tools rely on, run in-process: generate --ids, importance, train. */
class CommandLineTest {
    /** Runs `piece args...` and returns its exit code and stdout. */
    private static Object[] run(String... args) {
        PieceRun r = PieceRun.of(args);
        return new Object[] {r.exitCode(), r.out()};
    }

    @Test
    void generateIdsPrintsExactlyThePyTorchGreedySequenceOnOneLine() throws Exception {
        Path dir = Path.of(getClass().getResource("/golden/tiny-llama/model.bin").toURI()).getParent();
        long[] want;
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("expected.safetensors"))) { want = f.readLongs("greedy_ids"); }
        Object[] r = run("generate", "--model", dir.resolve("model.bin").toString(), "--prompt-ids", "1,7,13,21", "--max-tokens", "24",
                "--temperature", "0", "--ids", "--backend", "ref");
        assertEquals(0, r[0]);
        String expected = Arrays.stream(want).mapToObj(Long::toString).collect(Collectors.joining(" ")) + System.lineSeparator();
        assertEquals(expected, r[1], "stdout must be the ids on one line and nothing else");
    }

    @Test
    void importanceThenMaskedTrainingChangesOnlyTheMaskedParameters() throws Exception {
        Path dir = Files.createTempDirectory("cli");
        LlamaConfig c = new LlamaConfig(32, 2, 4, 2, 8, 48, 259, 64, 1e-5f, 10000f, false, LlamaConfig.RopeLayout.INTERLEAVED, null);
        LlamaModel base = new LlamaModel(c, new RefBackend());
        base.initRandom(3, 0.1f);
        Path model = dir.resolve("base.safetensors");
        ModelFiles.save(base, model, ModelFiles.Format.SAFETENSORS, "f32", null);
        Path data = dir.resolve("task.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) sb.append("{\"prompt\": \"").append(i).append(" + 1 = \", \"answer\": \"").append(i + 1).append("\"}\n");
        sb.append("{\"prompt\": \"broken\"}\n");
        Files.writeString(data, sb.toString());

        Path maskFile = dir.resolve("task.mask");
        Object[] imp = run("importance", "--model", model.toString(), "--tokenizer", "byte", "--data", data.toString(),
                "--estimator", "piece-s", "--ratio", "0.01", "--batch", "4", "--out", maskFile.toString(), "--backend", "ref");
        assertEquals(0, imp[0], (String) imp[1]);
        Mask mask = MaskFile.read(maskFile);
        assertEquals(Mask.budget(0.01, base.layout().size() - 259 * 32), mask.size());
        assertTrue(((String) imp[1]).contains("| layer 0 |"), "the per-layer report is printed");
        assertTrue(Files.readString(Path.of(maskFile + ".json")).contains("\"git_commit\""), "the run record names the commit");

        Path out = dir.resolve("trained.gguf");
        Object[] tr = run("train", "--model", model.toString(), "--tokenizer", "byte", "--data", data.toString(), "--mask", maskFile.toString(),
                "--epochs", "2", "--lr", "1e-2", "--batch", "4", "--out", out.toString(), "--backend", "ref");
        assertEquals(0, tr[0], (String) tr[1]);
        float[] before = base.parameters().toArray();
        float[] after = ModelFiles.load(out, new RefBackend()).parameters().toArray(); // GGUF stores q/k interleaved: same layout here
        int changed = 0;
        for (int i = 0; i < before.length; i++) {
            boolean same = Float.floatToRawIntBits(before[i]) == Float.floatToRawIntBits(after[i]);
            if (!mask.contains(i)) assertTrue(same, "parameter " + base.layout().locate(i) + " is outside the mask but changed");
            else if (!same) changed++;
        }
        assertTrue(changed > mask.size() / 2, "most masked parameters should move: " + changed + " of " + mask.size());
        String record = Files.readString(Path.of(out + ".json"));
        for (String field : new String[] {"\"settings\"", "\"seed\"", "\"git_commit\"", "\"jdk\"", "\"backend\"", "\"threads\"", "\"losses\""}) {
            assertTrue(record.contains(field), "run record lacks " + field + ": " + record);
        }
    }
}
