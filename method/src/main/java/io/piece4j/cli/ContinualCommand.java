package io.piece4j.cli;

import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.continual.ContinualReport;
import io.piece4j.piece.continual.ContinualResults;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.continual.Suite;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The continual-learning sequence over a suite, for several methods and seeds, with results.json, report.md and charts. */
@Command(name = "continual", mixinStandardHelpOptions = true,
        description = "Learn a suite's tasks one after another with each method (PIECE-S, PIECE-F, random mask, full fine-tuning, ...), "
                + "evaluate every task and the probes after every task, and write results.json, report.md and charts.")
final class ContinualCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Mixin ContinualOptions options;
    @Mixin SparkOptions spark;
    @Option(names = "--suite", required = true, description = "suite.json (or its folder), or trace:DIR for TRACE's layout") String suite;
    @Option(names = "--out", required = true, description = "output folder (results.json, report.md, charts/, runs/)") Path out;
    @Option(names = "--resume", description = "continue the run the output folder holds (same settings)") boolean resume;
    @Option(names = "--keep-task-models", description = "keep the model after every task, not only the last") boolean keepTaskModels;

    @Override
    public Integer call() throws Exception {
        Suite s = options.suite(suite);
        Tokenizer tok = model.tokenizer();
        try (Backend be = model.backend()) {
            ContinualRun.Spec spec = new ContinualRun.Spec(model.model, tok, s, options.methods, options.seeds, options.ratios, options.lrSweep, options.settings(),
                    options.methodSettings, options.extraProbes(tok), out, resume, keepTaskModels);
            ContinualResults results;
            if (spark.enabled()) {
                // every (variant, seed) becomes a Spark task; the distributed module reports each finished run
                results = SparkSupport.require(spark).continual(spark, spec, model.tokenizerSource(), be);
            } else {
                ContinualProgress progress = new ContinualProgress();
                results = new ContinualRun(spec, be).onProgress(progress).run();
                progress.finish();
            }
            System.out.println();
            System.out.print(new ContinualReport(results, out).summaryTable());
            System.out.println();
            System.out.println("report: " + out.resolve("report.md"));
        }
        return 0;
    }
}
