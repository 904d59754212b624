package io.piece4j.cli;

import io.piece4j.piece.bundled.BundledBase;
import io.piece4j.piece.bundled.BundledBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Writes piece4j's bundled benchmark (corpus, tasks, probe, suite.json) from a seed. */
@Command(name = "bundled", mixinStandardHelpOptions = true,
        description = "Generate the bundled benchmark from a seed (pretraining corpus, downstream tasks, probe, suite.json) and extract the committed base model beside it.")
final class BundledCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "folder to write into") Path out;
    @Option(names = "--seed", defaultValue = "" + BundledBenchmark.DEFAULT_SEED) long seed;
    @Option(names = "--train", description = "training records per task (default 400)") Integer train;
    @Option(names = "--valid", description = "validation records per task (default 100)") Integer valid;
    @Option(names = "--test", description = "test records per task (default 100)") Integer test;

    @Override
    public Integer call() throws Exception {
        BundledBenchmark.Sizes d = BundledBenchmark.Sizes.defaults();
        BundledBenchmark.Sizes sizes = d.withTasks(train != null ? train : d.train(), valid != null ? valid : d.valid(), test != null ? test : d.test());
        BundledBenchmark.generate(seed, out, sizes);
        System.out.println("wrote the bundled benchmark (seed " + seed + ") to " + out + "; suite: " + out.resolve("suite.json"));
        if (BundledBase.available()) {
            System.out.println("base model (pretrained on seed " + BundledBenchmark.DEFAULT_SEED + "'s corpus): " + BundledBase.extract(out)
                    + " (tokenizer: byte; run record: piece pretrain's, in the jar as " + BundledBase.RECORD + ")");
        }
        return 0;
    }
}
