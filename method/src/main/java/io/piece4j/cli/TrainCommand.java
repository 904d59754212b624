package io.piece4j.cli;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskFile;
import io.piece4j.piece.ModelFingerprint;
import io.piece4j.piece.data.Batcher;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.lora.LoraAdapter;
import io.piece4j.piece.lora.LoraSettings;
import io.piece4j.piece.train.Evaluation;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Fine-tunes a model on one task: only a PIECE mask's parameters, all of them, or a LoRA adapter merged at the end. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train on a task under a PIECE mask (--mask), fully (--full) or through a LoRA adapter (--lora, merged into OUT); "
                + "checkpoints and --resume; any model format in and out.")
final class TrainCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin TaskOptions task;

    static final class What {
        @Option(names = "--mask", description = "train only the parameters of this mask (from piece importance)") Path mask;
        @Option(names = "--full", description = "train every parameter (SeqFT)") boolean full;
        @Option(names = "--lora", description = "train a LoRA adapter with the weights frozen; OUT is the merged model, OUT.lora.safetensors the adapter")
        boolean lora;
    }

    @ArgGroup(exclusive = true, multiplicity = "1") What what;
    @Option(names = "--lora-rank", defaultValue = "8", description = "LoRA rank r") int loraRank;
    @Option(names = "--lora-alpha", defaultValue = "32", description = "LoRA alpha (the adapter is scaled by alpha / r)") double loraAlpha;
    @Option(names = "--lora-targets", defaultValue = "wq,wv", description = "adapted weights of every block: wq, wk, wv, wo, w_gate, w_up, w_down")
    String loraTargets;
    @Option(names = "--epochs", defaultValue = "5") int epochs;
    @Option(names = "--lr", defaultValue = "1e-5") float lr;
    @Option(names = "--batch", defaultValue = "4", description = "examples per micro-batch") int batch;
    @Option(names = "--accumulation", defaultValue = "1", description = "micro-batches per optimizer step") int accumulation;
    @Option(names = "--schedule", defaultValue = "constant", description = "constant or cosine") String schedule;
    @Option(names = "--warmup", defaultValue = "0", description = "warm-up steps") int warmup;
    @Option(names = "--clip", defaultValue = "1.0", description = "global gradient-norm clipping (0 = off)") double clip;
    @Option(names = "--beta1", defaultValue = "0.9") float beta1;
    @Option(names = "--beta2", defaultValue = "0.95") float beta2;
    @Option(names = "--eps", defaultValue = "1e-8") float eps;
    @Option(names = "--weight-decay", defaultValue = "0") float weightDecay;
    @Option(names = "--seed", defaultValue = "1", description = "data shuffling") long seed;
    @Option(names = "--dense-grad", description = "compute dense weight gradients under a mask (the reference path)") boolean denseGrad;
    @Option(names = "--checkpoint", description = "checkpoint file (default: OUT.ckpt)") Path checkpoint;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "optimizer steps between checkpoints (always at each epoch's end)")
    int checkpointEvery;
    @Option(names = "--resume", description = "continue from the checkpoint if it exists") boolean resume;
    @Option(names = "--allow-mask-mismatch", description = "use a mask computed on different weights") boolean allowMismatch;
    @Option(names = "--eval-data", description = "held-out records: answer loss before and after") Path evalData;
    @Option(names = "--out", required = true, description = "trained model (.safetensors, .gguf or .bin); OUT.json gets the run record") Path out;
    @Mixin SparkOptions spark;
    @Option(names = "--type", defaultValue = "f32", description = "element type of OUT: f32, f16, bf16") String type;

    @Override
    public Integer call() throws Exception {
        ModelFiles.Format format = ModelFiles.formatOf(out);
        TrainSettings settings = new TrainSettings(epochs, lr, schedule, warmup, batch, accumulation, clip, beta1, beta2, eps,
                weightDecay, seed, checkpointEvery, denseGrad);
        Path ckpt = checkpoint != null ? checkpoint : Path.of(out + ".ckpt");
        LoraSettings loraSettings = what.lora ? new LoraSettings(loraRank, loraAlpha, LoraSettings.parseTargets(loraTargets)) : null;
        if (spark.enabled() && (what.mask == null || what.lora || denseGrad || resume || checkpointEvery > 0 || checkpoint != null)) {
            throw new IllegalArgumentException("--spark " + spark.master() + ": data-parallel training needs --mask and takes neither --full, --lora, "
                    + "--dense-grad, --resume nor checkpoints (a lost executor's step is recomputed by Spark instead)");
        }
        try (Backend be = model.backend()) {
            LlamaModel m = model.load(be);
            Tokenizer tok = model.tokenizer();
            ModelFiles.SaveOptions saving = model.saveOptions(type);
            ModelFiles.checkTarget(m.config(), out, format, saving); // before training, not after it
            if (format == ModelFiles.Format.GGUF && saving.tokenizer() == null) {
                System.err.println("piece train: warning: no vocabulary to embed in " + out + " (tokenizer " + tok.describe()
                        + "), so llama.cpp will not load it; give --tokenizer tokenizer.bin|tokenizer.json|FILE.gguf");
            }
            List<Example> examples = task.examples(tok, m.config().maxSeqLen());
            Mask mask = null;
            if (what.mask != null) {
                mask = MaskFile.read(what.mask);
                if (mask.parameterCount() != m.layout().size()) {
                    throw new IllegalArgumentException(what.mask + ": field 'parameter_count' = " + mask.parameterCount()
                            + ", but the model has " + m.layout().size() + " parameters");
                }
                String hash = ModelFingerprint.of(m.parameters());
                if (!hash.equals(mask.modelHash()) && !allowMismatch) {
                    throw new IllegalArgumentException(what.mask + ": field 'model_hash' = " + mask.modelHash() + " but the model's weights hash to "
                            + hash + " (the mask was computed on other weights; --allow-mask-mismatch to use it anyway)");
                }
            }
            List<io.piece4j.piece.TokenBatch> evalBatches = null;
            Double evalBefore = null;
            if (evalData != null) {
                TaskOptions evalTask = new TaskOptions();
                evalTask.data = evalData;
                evalTask.badRecords = task.badRecords;
                evalTask.maxPromptTokens = task.maxPromptTokens;
                evalTask.maxAnswerTokens = task.maxAnswerTokens;
                evalBatches = Batcher.inOrder(evalTask.examples(tok, m.config().maxSeqLen()), batch);
                evalBefore = Evaluation.answerLoss(m, evalBatches);
                System.out.printf("held-out answer loss before: %.4f%n", evalBefore);
            }
            LoraAdapter adapter = null;
            Trainable trained = Trainable.ofModel(m, mask);
            if (loraSettings != null) {
                adapter = LoraAdapter.create(m, loraSettings, seed);
                adapter.attach(m);
                trained = Trainable.own(adapter.parameters(), adapter.gradients());
            }
            ProgressBar bar = new ProgressBar(adapter != null ? "train (LoRA)" : mask != null ? "train (PIECE mask)" : "train (full)");
            Trainer trainer = new Trainer(m, trained, settings, epoch -> Batcher.shuffled(examples, batch, seed, epoch), task.taskName(), ckpt)
                    .onProgress((step, total, loss, rate, tokens, secs) ->
                            bar.update(step, total, String.format("loss %.4f lr %.2e %.0f tok/s", loss, rate, tokens / Math.max(secs, 1e-9))));
            Map<String, Object> exchange = new LinkedHashMap<>();
            Trainer.Result r = spark.enabled()
                    ? SparkSupport.require(spark).train(spark, model.model, m, mask, settings, epoch -> Batcher.shuffled(examples, batch, seed, epoch),
                            task.taskName(), exchange)
                    : trainer.run(resume);
            double first = r.losses().isEmpty() ? Double.NaN : r.losses().get(0), last = r.losses().isEmpty() ? Double.NaN : r.losses().getLast();
            if (r.resumed()) System.out.printf("resumed from %s at optimizer step %d; ran %d more%n", ckpt, r.startStep(), r.stepsRun());
            System.out.printf("%d optimizer steps, training loss %.4f -> %.4f, %.1f s (%.0f tokens/s)%n", r.steps(),
                    first, last, r.seconds(), r.tokens() / Math.max(r.seconds(), 1e-9));
            Path adapterFile = Path.of(out + ".lora.safetensors");
            if (adapter != null) {
                LoraAdapter.detach(m);
                adapter.write(adapterFile);
                adapter.mergeInto(m);
            }
            Double evalAfter = null;
            if (evalBatches != null) {
                evalAfter = Evaluation.answerLoss(m, evalBatches);
                System.out.printf("held-out answer loss after: %.4f%n", evalAfter);
            }
            ModelFiles.save(m, out, format, saving);
            new RunRecord().put("command", "train").put("model", model.model.toString()).put("task", task.describe())
                    .put("mask", what.mask != null ? what.mask.toString() : adapter != null ? "lora" : "full")
                    .put("k", adapter != null ? adapter.size() : mask == null ? m.layout().size() : mask.size())
                    .put("lora", adapter == null ? null : java.util.Map.of("rank", loraSettings.rank(), "alpha", loraSettings.alpha(),
                            "targets", loraSettings.modules(), "adapter", adapterFile.toString()))
                    .put("settings", settings.toString()).put("seed", seed).put("steps", r.steps())
                    .put("resumed_from_step", r.resumed() ? r.startStep() : null).put("losses", r.losses())
                    .put("eval_loss_before", evalBefore).put("eval_loss_after", evalAfter).put("seconds", r.seconds())
                    .put("tokens", r.tokens()).put("spark", spark.enabled() ? spark.master() : null)
                    .put("exchange", exchange.isEmpty() ? null : exchange).put("backend", be.name()).put("threads", be.threads()).put("tokenizer", tok.describe())
                    .put("out", out.toString()).withEnvironment().write(Path.of(out + ".json"));
            if (!exchange.isEmpty()) System.out.println("exchange per optimizer step: " + exchange.get("summary"));
            System.out.println("wrote " + out + (adapter != null ? " (LoRA merged; adapter " + adapterFile + ")" : "")
                    + " (+ .json run record" + (spark.enabled() ? ")" : "; checkpoint " + ckpt + ")"));
        }
        return 0;
    }
}
