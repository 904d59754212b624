package io.piece4j.tests;

import io.piece4j.cli.PieceCli;
import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.lora.LoraAdapter;
import io.piece4j.piece.lora.LoraSettings;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `piece train --lora`: one adapter trained on one task with the weights frozen, written merged into the model. */
class TrainLoraCommandTest {
    @Test
    void trainsAnAdapterAndWritesTheMergedModelThatComputesTheAdapterPath() throws Exception {
        Path dir = Files.createTempDirectory("lora-cli");
        LlamaConfig c = new LlamaConfig(32, 2, 4, 2, 8, 48, 259, 64, 1e-5f, 10000f, true, LlamaConfig.RopeLayout.INTERLEAVED, null);
        LlamaModel base = new LlamaModel(c, new RefBackend());
        base.initRandom(3, 0.1f);
        Path model = dir.resolve("base.gguf"); // GGUF keeps the interleaved RoPE rows of wq and wk as they are in memory
        ModelFiles.save(base, model, ModelFiles.Format.GGUF, "f32", null);
        Path data = dir.resolve("task.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) sb.append("{\"prompt\": \"").append(i).append(" + 2 = \", \"answer\": \"").append(i + 2).append("\"}\n");
        Files.writeString(data, sb.toString());

        Path out = dir.resolve("merged.gguf");
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            code = PieceCli.commandLine().execute("train", "--model", model.toString(), "--tokenizer", "byte", "--data", data.toString(),
                    "--lora", "--lora-rank", "4", "--lora-alpha", "8", "--lora-targets", "wq,w_up", "--epochs", "2", "--lr", "1e-2",
                    "--batch", "4", "--seed", "5", "--out", out.toString(), "--backend", "ref");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code, buf.toString(StandardCharsets.UTF_8));

        LlamaModel merged = ModelFiles.load(out, new RefBackend());
        float[] before = base.parameters().toArray(), after = merged.parameters().toArray();
        ParameterLayout layout = base.layout();
        int changed = 0;
        for (int i = 0; i < before.length; i++) {
            ParameterLayout.Entry e = layout.locate(i).entry();
            boolean adapted = e.module().equals("attn.wq") || e.module().equals("mlp.w_up");
            boolean same = Float.floatToRawIntBits(before[i]) == Float.floatToRawIntBits(after[i]);
            if (!adapted) assertTrue(same, layout.locate(i) + " is not adapted but changed");
            else if (!same) changed++;
        }
        assertTrue(changed > 0, "the merged adapter changes wq and w_up");

        // the adapter file, attached to the base, computes what the merged model computes
        LoraSettings s = new LoraSettings(4, 8, List.of("attn.wq", "mlp.w_up"));
        LoraAdapter adapter = LoraAdapter.read(Path.of(out + ".lora.safetensors"), base, s);
        int[] tokens = new int[2 * 9];
        for (int i = 0; i < tokens.length; i++) tokens[i] = 40 + (i * 7) % 60;
        float[] viaAdapter, viaMerged;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            viaMerged = merged.forward(tokens, 2, 9).toArray();
            adapter.attach(base);
            viaAdapter = base.forward(tokens, 2, 9).toArray();
        }
        double worst = 0, scale = 1;
        for (int i = 0; i < viaMerged.length; i++) {
            worst = Math.max(worst, Math.abs(viaMerged[i] - viaAdapter[i]));
            scale = Math.max(scale, Math.abs(viaMerged[i]));
        }
        assertTrue(worst <= 2e-6 * scale, "merged model vs base + adapter path: logits differ by " + worst + " (largest logit " + scale + ")");
        String record = Files.readString(Path.of(out + ".json"));
        assertTrue(record.contains("\"lora\"") && record.contains("\"rank\":4") && record.contains("\"mask\":\"lora\""), record);
    }
}
