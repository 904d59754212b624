package io.piece4j.cli;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.nn.tokenizer.GgufTokenizers;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.nn.tokenizer.Tokenizers;
import io.piece4j.piece.GitCommit;
import io.piece4j.piece.ModelFingerprint;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.train.Evaluation;
import io.piece4j.piece.train.TextChunks;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Language-model training on a text corpus: from a seeded random initialisation (--config) or from an
 * existing model (--model), through the same {@link Trainer} as fine-tuning (AdamW on every parameter,
 * warm-up + cosine, checkpoints, --resume).
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train a model on a text corpus (BOS-prefixed chunks, every position scored): from scratch (--config) or continued (--model).")
final class PretrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    static final class Start {
        @Option(names = "--config", description = "model shape for a random start: a preset (" + "bundled, bundled-4x, tiny"
                + ") and/or key=value pairs, e.g. dim=256,layers=5,heads=8,hidden=640,seq=256") String config;
        @Option(names = "--model", description = "continue training this model (any format)") Path model;
    }

    @ArgGroup(exclusive = true, multiplicity = "1") Start start;
    @Option(names = "--corpus", required = true, description = "UTF-8 text") Path corpus;
    @Option(names = "--documents", defaultValue = "paragraph", description = "how the text splits into documents (EOS after each): paragraph (blank lines), line, none")
    String documents;
    @Option(names = "--heldout", description = "held-out text: mean NLL per token at --eval-every and at the end") Path heldout;
    @Option(names = "--tokenizer", defaultValue = "byte", description = "tokenizer.json, tokenizer.bin or 'byte'") String tokenizer;
    @Option(names = "--backend", description = "ref, simd, ... (default: best available)") String backend;
    @Option(names = "--threads", defaultValue = "0", description = "worker threads (default: all cores)") int threads;
    @Option(names = "--steps", required = true, description = "optimizer steps of the whole run (sets the schedule)") long steps;
    @Option(names = "--stop-after", description = "stop after this many optimizer steps (with a checkpoint), keeping the schedule of --steps")
    Long stopAfter;
    @Option(names = "--batch", defaultValue = "16", description = "chunks per micro-batch") int batch;
    @Option(names = "--accumulation", defaultValue = "1", description = "micro-batches per optimizer step") int accumulation;
    @Option(names = "--seq", defaultValue = "0", description = "tokens per chunk (default: the model's context)") int seq;
    @Option(names = "--lr", defaultValue = "1e-3") float lr;
    @Option(names = "--schedule", defaultValue = "cosine", description = "constant or cosine") String schedule;
    @Option(names = "--warmup", defaultValue = "100", description = "warm-up steps") int warmup;
    @Option(names = "--clip", defaultValue = "1.0", description = "global gradient-norm clipping (0 = off)") double clip;
    @Option(names = "--beta1", defaultValue = "0.9") float beta1;
    @Option(names = "--beta2", defaultValue = "0.95") float beta2;
    @Option(names = "--eps", defaultValue = "1e-8") float eps;
    @Option(names = "--weight-decay", defaultValue = "0") float weightDecay;
    @Option(names = "--seed", defaultValue = "1", description = "initial weights and chunk order") long seed;
    @Option(names = "--init-std", defaultValue = "0.02", description = "std of the random initial weights") float initStd;
    @Option(names = "--eval-every", defaultValue = "0", description = "held-out NLL every N steps (0 = only at the end)") int evalEvery;
    @Option(names = "--log-every", defaultValue = "0", description = "print a line every N steps (0 = progress bar only)") int logEvery;
    @Option(names = "--checkpoint", description = "checkpoint file (default: OUT.ckpt)") Path checkpoint;
    @Option(names = "--checkpoint-every", defaultValue = "100", description = "optimizer steps between checkpoints") int checkpointEvery;
    @Option(names = "--resume", description = "continue from the checkpoint if it exists") boolean resume;
    @Option(names = "--out", required = true, description = "trained model (.safetensors, .gguf or .bin); OUT.json gets the run record") Path out;
    @Option(names = "--type", defaultValue = "f32", description = "element type of OUT: f32, f16 (GGUF, safetensors), bf16 (safetensors)") String type;

    /** Steps whose weights hash the record keeps, so a shortened run can be checked against them. */
    static final int HASHED_STEPS = 3;

    @Override
    public Integer call() throws Exception {
        ModelFiles.Format format = ModelFiles.formatOf(out);
        if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
        TextChunks.Documents docs = parseDocuments(documents);
        Tokenizer tok = tokenizer.equals("byte") ? new ByteTokenizer() : Tokenizers.load(Path.of(tokenizer));
        byte[] corpusBytes = Files.readAllBytes(corpus);
        String text = decode(corpusBytes, corpus);
        Path ckpt = checkpoint != null ? checkpoint : Path.of(out + ".ckpt");
        String commit = GitCommit.current(); // the code that starts the run, whatever the checkout holds when it ends
        try (Backend be = Backends.create(backend, threads)) {
            LlamaModel m;
            if (start.model != null) {
                m = ModelFiles.load(start.model, be);
                if (m.config().vocabSize() != tok.vocabSize()) {
                    throw new IllegalArgumentException(start.model + ": vocab_size = " + m.config().vocabSize() + " but the tokenizer "
                            + tok.describe() + " has " + tok.vocabSize() + " ids");
                }
            } else {
                m = new LlamaModel(ModelShape.parse(start.config, tok.vocabSize()), be);
                m.initRandom(seed, initStd);
            }
            LlamaConfig c = m.config();
            int chunk = seq == 0 ? c.maxSeqLen() : seq;
            if (chunk > c.maxSeqLen()) throw new IllegalArgumentException("--seq " + chunk + " exceeds the model's context " + c.maxSeqLen());

            TextChunks data = new TextChunks(text, docs, tok, chunk, batch, seed, steps * accumulation);
            TrainSettings settings = new TrainSettings(data.epochs(), lr, schedule, warmup, batch, accumulation, clip, beta1, beta2, eps,
                    weightDecay, seed, checkpointEvery, false);
            List<TokenBatch> heldoutBatches = heldout == null ? null
                    : TextChunks.evaluationBatches(decode(Files.readAllBytes(heldout), heldout), docs, tok, chunk, batch);
            System.out.printf(Locale.ROOT, "pretrain: %,d parameters (%s), corpus %,d tokens, %d steps of %d x %d x %d tokens (%.2f epochs), %s%n",
                    c.parameterCount(), describe(c), data.tokenCount(), steps, accumulation, batch, chunk,
                    (double) steps * accumulation * batch * chunk / data.tokenCount(), be.description());

            List<Map<String, Object>> evals = new ArrayList<>();
            Map<String, String> hashes = new LinkedHashMap<>();
            ProgressBar bar = new ProgressBar("pretrain");
            Trainer trainer = new Trainer(m, Trainable.ofModel(m, null), settings, data, "pretrain", ckpt).onProgress((step, total, loss, rate, tokens, secs) -> {
                if (step <= HASHED_STEPS) hashes.put(Long.toString(step), ModelFingerprint.of(m.parameters()));
                String detail = String.format(Locale.ROOT, "loss %.4f lr %.2e %.0f tok/s", loss, rate, tokens / Math.max(secs, 1e-9));
                bar.update(step, total, detail);
                if (logEvery > 0 && step % logEvery == 0) System.out.printf(Locale.ROOT, "step %d/%d %s %.0f s%n", step, total, detail, secs);
                if (heldoutBatches != null && evalEvery > 0 && step % evalEvery == 0 && step < total) {
                    double nll = Evaluation.answerLoss(m, heldoutBatches);
                    evals.add(Map.of("step", step, "heldout_nll", nll));
                    System.out.printf(Locale.ROOT, "step %d: held-out NLL %.4f per token%n", step, nll);
                }
            });
            if (stopAfter != null) trainer.stopAfter(stopAfter);
            Trainer.Result r = trainer.run(resume);
            Double finalNll = null;
            if (heldoutBatches != null) {
                finalNll = Evaluation.answerLoss(m, heldoutBatches);
                evals.add(Map.of("step", r.steps(), "heldout_nll", finalNll));
                System.out.printf(Locale.ROOT, "held-out NLL %.4f per token (%.4f bits)%n", finalNll, finalNll / Math.log(2));
            }
            String weightsHash = ModelFingerprint.of(m.parameters());
            double first = r.losses().isEmpty() ? Double.NaN : r.losses().getFirst(), last = r.losses().isEmpty() ? Double.NaN : r.losses().getLast();
            System.out.printf(Locale.ROOT, "%d optimizer steps%s, training loss %.4f -> %.4f, %.1f s (%.0f tokens/s)%n", r.steps(),
                    r.resumed() ? " (resumed)" : "", first, last, r.seconds(), r.tokens() / Math.max(r.seconds(), 1e-9));
            // a GGUF output embeds the tokenizer file's vocabulary, so llama.cpp can load it (the byte tokenizer has no GGUF form)
            ModelFiles.save(m, out, format, ModelFiles.SaveOptions.of(type)
                    .withTokenizer(tokenizer.equals("byte") || format != ModelFiles.Format.GGUF ? null : GgufTokenizers.read(Path.of(tokenizer))));
            new RunRecord().put("command", "pretrain").put("command_line", "piece " + String.join(" ", spec.root().commandLine().getParseResult().originalArgs()))
                    .put("seed", seed).put("config", configMap(c)).put("parameters", c.parameterCount())
                    .put("start", start.model != null ? start.model.toString() : "random, std " + initStd)
                    .put("corpus", corpus.toString()).put("corpus_sha256", sha256(corpusBytes)).put("corpus_tokens", data.tokenCount())
                    .put("documents", docs.name().toLowerCase(Locale.ROOT)).put("tokenizer", tok.describe())
                    .put("settings", settings.toString()).put("steps_planned", steps).put("stop_after", stopAfter).put("steps", r.steps())
                    .put("seq", chunk).put("batch", batch).put("accumulation", accumulation)
                    .put("losses", r.losses()).put("weights_sha256_after_step", hashes).put("weights_sha256", weightsHash)
                    .put("heldout", heldout == null ? null : heldout.toString()).put("heldout_nll", finalNll).put("evaluations", evals)
                    .put("seconds", r.seconds()).put("tokens", r.tokens()).put("resumed", r.resumed())
                    .put("backend", be.name()).put("backend_description", be.description()).put("threads", be.threads())
                    .put("out", out.toString()).put("type", type).withEnvironment().put("git_commit", commit).write(Path.of(out + ".json"));
            System.out.println("wrote " + out + " (+ .json run record; checkpoint " + ckpt + ")");
        }
        return 0;
    }

    static TextChunks.Documents parseDocuments(String s) {
        try {
            return TextChunks.Documents.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--documents " + s + ": expected paragraph, line or none");
        }
    }

    private static String decode(byte[] bytes, Path file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not valid UTF-8 text");
        }
    }

    static String describe(LlamaConfig c) {
        return "dim " + c.dim() + ", " + c.layers() + " layers, " + c.heads() + " heads (" + c.kvHeads() + " kv), hidden " + c.hiddenDim()
                + ", context " + c.maxSeqLen() + (c.tiedEmbeddings() ? ", tied head" : "");
    }

    static Map<String, Object> configMap(LlamaConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dim", c.dim());
        m.put("layers", c.layers());
        m.put("heads", c.heads());
        m.put("kv_heads", c.kvHeads());
        m.put("head_dim", c.headDim());
        m.put("hidden", c.hiddenDim());
        m.put("vocab", c.vocabSize());
        m.put("seq", c.maxSeqLen());
        m.put("norm_eps", (double) c.normEps());
        m.put("rope_theta", (double) c.ropeTheta());
        m.put("tied", c.tiedEmbeddings());
        m.put("rope_layout", c.ropeLayout().name());
        return m;
    }

    static String sha256(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
