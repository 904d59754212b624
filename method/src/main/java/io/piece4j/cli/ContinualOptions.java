package io.piece4j.cli;

import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.continual.ContinualSettings;
import io.piece4j.piece.continual.Probe;
import io.piece4j.piece.continual.SuiteReader;
import io.piece4j.piece.continual.TaskFileProbe;
import io.piece4j.piece.continual.metrics.TaskMetric;
import io.piece4j.piece.continual.methods.MethodCatalog;
import io.piece4j.piece.data.BadRecordPolicy;
import io.piece4j.piece.data.TaskReader;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The options of `piece continual` that decide the numbers (shared with the demo, which sets its own defaults). */
final class ContinualOptions {
    @Option(names = "--tasks", split = ",", description = "tasks to train, in order (default: all of the suite's)") List<String> tasks = new ArrayList<>();
    @Option(names = "--max-train", defaultValue = "0", description = "training records per task (0 = all), drawn with --subsample-seed") int maxTrain;
    @Option(names = "--max-test", defaultValue = "0", description = "test (and validation) records per task (0 = all)") int maxTest;
    @Option(names = "--subsample-seed", defaultValue = "1", description = "seed of the --max-train/--max-test draws") long subsampleSeed;
    @Option(names = "--methods", split = ",", defaultValue = "piece-s,piece-f,random,seqft", completionCandidates = MethodNames.class,
            description = "methods to run, METHOD or METHOD@RATIO, or all: ${COMPLETION-CANDIDATES}") List<String> methods;
    @Option(names = "--seeds", split = ",", defaultValue = "1", description = "one run per seed (data order, random masks)") List<Long> seeds;
    @Option(names = "--ratios", split = ",", defaultValue = "0.001", description = "mask ratios (each one a variant of the mask methods)") List<Double> ratios;
    @Option(names = "--lr-sweep", split = ",", description = "run every method at each of these learning rates (each one a variant; overrides --lr)")
    List<Float> lrSweep = new ArrayList<>();
    @Option(names = "--lr-from", description = "take each method's learning rate from a sweep run with --lr-sweep and --eval-split valid "
            + "(its folder or results.json): the rate with the best validation OP") Path lrFrom;
    @Option(names = "--eval-split", defaultValue = "test", description = "test, or valid: score on the validation records (to choose settings)") String evalSplit;
    @Option(names = "--lr", split = ",", defaultValue = "1e-4",
            description = "learning rate for all methods, and/or per method: 1e-4,piece-s=1e-3,seqft=3e-5") List<String> lr;
    @Option(names = "--epochs", defaultValue = "3", description = "epochs per task") int epochs;
    @Option(names = "--batch", defaultValue = "8", description = "examples per micro-batch") int batch;
    @Option(names = "--accumulation", defaultValue = "1", description = "micro-batches per optimizer step") int accumulation;
    @Option(names = "--schedule", defaultValue = "constant", description = "constant (the paper) or cosine") String schedule;
    @Option(names = "--warmup", defaultValue = "0", description = "warm-up steps per task") int warmup;
    @Option(names = "--clip", defaultValue = "1.0", description = "gradient-norm clipping on the trained coordinates (0 = off)") double clip;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay on trained coordinates") float weightDecay;
    @Option(names = "--importance-batch", defaultValue = "4", description = "examples per importance batch (PIECE-S's +1 depends on it)") int importanceBatch;
    @Option(names = "--eligible", defaultValue = "all", description = "all, or no-norms (RMSNorm gains never selected)") String eligible;
    @Option(names = "--untouched-tensors", defaultValue = "freeze",
            description = "freeze, or train: a tensor with no selected entry is trained fully (the original code's quirk)") String untouched;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "optimizer steps between in-task checkpoints (0 = each epoch's end)")
    int checkpointEvery;
    @Option(names = "--probe", description = "a task file scored as an extra probe: FILE or FILE:METRIC (default metric answer-loss)") List<String> probeFiles = new ArrayList<>();
    @Option(names = "--probe-samples", defaultValue = "16", description = "continuations sampled from the base for the base-agreement probe (0 = none)")
    int probeSamples;
    @Option(names = "--probe-length", defaultValue = "48", description = "tokens per sampled continuation") int probeLength;
    @Option(names = "--probe-seed", defaultValue = "7", description = "seed of the sampled continuations") long probeSeed;
    @Option(names = "--method-setting", description = "a method's own setting, KEY=VALUE (e.g. lambda=400); repeatable") Map<String, String> methodSettings = new LinkedHashMap<>();

    SuiteReader.Options suiteOptions() {
        return new SuiteReader.Options(tasks, maxTrain, maxTest, subsampleSeed);
    }

    /** The suite as --suite, --tasks, --max-train/--max-test and --eval-split say. */
    io.piece4j.piece.continual.Suite suite(String spec) {
        io.piece4j.piece.continual.Suite s = SuiteReader.read(spec, suiteOptions());
        return switch (evalSplit) {
            case "test" -> s;
            case "valid" -> s.validationAsTest();
            default -> throw new IllegalArgumentException("--eval-split " + evalSplit + ": expected test or valid");
        };
    }

    ContinualSettings settings() {
        float defaultLr = Float.NaN;
        Map<String, Float> byMethod = new LinkedHashMap<>();
        for (String item : lr) {
            int eq = item.indexOf('=');
            try {
                if (eq < 0) defaultLr = Float.parseFloat(item.trim());
                else byMethod.put(item.substring(0, eq).trim(), Float.parseFloat(item.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--lr " + item + ": expected a number or METHOD=NUMBER");
            }
        }
        if (Float.isNaN(defaultLr)) defaultLr = 1e-4f;
        if (lrFrom != null) {
            try {
                // the sweep's choice, then what --lr names explicitly on top
                Map<String, Float> chosen = new LinkedHashMap<>(io.piece4j.piece.continual.LearningRateChoice.fromSweep(lrFrom));
                chosen.putAll(byMethod);
                byMethod = chosen;
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--lr-from " + lrFrom + ": " + e.getMessage(), e);
            }
        }
        boolean norms = switch (eligible.toLowerCase(Locale.ROOT)) {
            case "all" -> true;
            case "no-norms" -> false;
            default -> throw new IllegalArgumentException("--eligible " + eligible + ": expected all or no-norms");
        };
        boolean quirk = switch (untouched.toLowerCase(Locale.ROOT)) {
            case "freeze" -> false;
            case "train" -> true;
            default -> throw new IllegalArgumentException("--untouched-tensors " + untouched + ": expected freeze or train");
        };
        return new ContinualSettings(epochs, batch, accumulation, defaultLr, byMethod, schedule, warmup, clip, 0.9f, 0.95f, weightDecay,
                importanceBatch, norms, quirk, checkpointEvery, probeSamples, probeLength, probeSeed);
    }

    List<Probe> extraProbes(Tokenizer tokenizer) throws IOException {
        List<Probe> out = new ArrayList<>();
        for (String spec : probeFiles) {
            int colon = spec.lastIndexOf(':');
            TaskMetric metric = TaskMetric.ANSWER_LOSS;
            Path file = Path.of(spec);
            if (colon > 0 && !spec.substring(colon + 1).contains("/")) {
                try {
                    metric = TaskMetric.parse(spec.substring(colon + 1));
                    file = Path.of(spec.substring(0, colon));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--probe " + spec + ": " + e.getMessage());
                }
            }
            out.add(new TaskFileProbe(file, TaskReader.read(file, BadRecordPolicy.REJECT).records(), metric, 64, tokenizer));
        }
        return out;
    }

    /** The method names the help lists (picocli fills ${COMPLETION-CANDIDATES} only from an enum or such a class). */
    static final class MethodNames implements Iterable<String> {
        @Override public java.util.Iterator<String> iterator() { return MethodCatalog.names().iterator(); }
    }
}
