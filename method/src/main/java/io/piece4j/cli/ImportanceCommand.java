package io.piece4j.cli;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceAccumulator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskFile;
import io.piece4j.piece.MaskReport;
import io.piece4j.piece.ModelFingerprint;
import io.piece4j.piece.data.Batcher;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** PIECE's importance pass: score every parameter on a task's data and keep the global top-k as a mask. */
@Command(name = "importance", mixinStandardHelpOptions = true,
        description = "Score parameters on a task (PIECE-F or PIECE-S) and write the global top-k mask and its per-layer/module report.")
final class ImportanceCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin TaskOptions task;
    @Option(names = "--estimator", defaultValue = "piece-s", description = "piece-f (Fisher) or piece-s (gradient signal-to-noise)") String estimator;
    @Option(names = "--ratio", defaultValue = "0.001", description = "fraction of eligible parameters to select (0.1 %% by default)") double ratio;
    @Option(names = "--batch", defaultValue = "4", description = "examples per importance batch (matters for PIECE-S)") int batch;
    @Mixin SparkOptions spark;
    @Option(names = "--spark-leaves", paramLabel = "L", defaultValue = "16",
            description = "with --spark: G and H are summed over L groups of consecutive batches, combined in a fixed tree; "
                    + "the result is the same bits for any number of executors (L = 1 gives the local pass's bits)") int leaves;
    @Option(names = "--out", required = true, description = "mask file to write; MASK.md gets the report, MASK.json the run record") Path out;

    @Override
    public Integer call() throws Exception {
        Estimator est = Estimator.parse(estimator);
        try (Backend be = model.backend()) {
            LlamaModel m = model.load(be);
            Tokenizer tok = model.tokenizer();
            var examples = task.examples(tok, m.config().maxSeqLen());
            var batches = Batcher.inOrder(examples, batch);
            long t0 = System.nanoTime();
            Mask mask;
            if (spark.enabled()) {
                String hash = ModelFingerprint.of(m.parameters());
                ImportanceAccumulator acc = SparkSupport.require(spark).importance(spark, model.model, m, batches, leaves);
                mask = ImportanceEstimation.select(acc, m.layout(), est, ratio, task.taskName(), hash, batch);
            } else {
                mask = ImportanceEstimation.run(m, batches, est, ratio, task.taskName(), batch).mask();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            MaskFile.write(mask, out);
            MaskReport report = new MaskReport(mask, m.layout());
            String md = "# PIECE mask for task " + task.taskName() + "\n\n" + String.format(
                    "%s, ratio %s: k = %,d of %,d eligible parameters (model has %,d), %d batches of %d examples, %.2f s on %s%n%n",
                    est.cliName(), ratio, mask.size(), mask.eligibleCount(), mask.parameterCount(), mask.batches(), batch, secs,
                    be.description()) + report.toMarkdown();
            Files.writeString(Path.of(out + ".md"), md);
            new RunRecord().put("command", "importance").put("model", model.model.toString()).put("task", task.describe())
                    .put("estimator", est.cliName()).put("ratio", ratio).put("k", mask.size()).put("batch_size", batch)
                    .put("batches", mask.batches()).put("model_hash", mask.modelHash()).put("seconds", secs)
                    .put("spark", spark.enabled() ? spark.master() : null).put("spark_leaves", spark.enabled() ? leaves : null)
                    .put("backend", be.name()).put("threads", be.threads()).put("tokenizer", tok.describe())
                    .withEnvironment().write(Path.of(out + ".json"));
            System.out.print(md);
            System.out.println("\nwrote " + out + " (+ .md report, .json run record)");
        }
        return 0;
    }
}
