package io.piece4j.cli;

import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.nn.toy.LagCopyTransformer;
import io.piece4j.piece.bundled.BundledBase;
import io.piece4j.piece.bundled.BundledBenchmark;
import io.piece4j.piece.continual.ContinualReport;
import io.piece4j.piece.continual.ContinualResults;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.continual.ContinualSettings;
import io.piece4j.piece.continual.Suite;
import io.piece4j.piece.continual.SuiteReader;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * The first command a newcomer runs: PIECE-S and PIECE-F at the paper's 0.1 %, a random mask of the same size
 * and full fine-tuning learn three tasks of the bundled benchmark one after another, starting from the bundled
 * pretrained base; every task and the general-ability probe are scored after every task; the summary table
 * is printed and report.md with its charts written. At this model's size (3.9M parameters, k = 3,837) 0.1 %
 * learns little; `--methods piece-s,piece-s@0.05,seqft` shows the trend with a larger mask. Everything comes from the jar: the base model, and the
 * benchmark generated from its seed. `--toy` keeps the earlier demo (one Llama block learning a copy task).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "PIECE-S, PIECE-F, a random mask (0.1 %% each) and full fine-tuning learn three bundled tasks in turn from the bundled base model; "
                + "prints what each learned and forgot and writes report.md with charts (--toy: one Llama block learns a copy task).")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", description = "folder for the suite, the base model and the run (default ${DEFAULT-VALUE})") Path out;
    @Option(names = "--tasks", split = ",", defaultValue = "stance,code,translate", description = "bundled tasks to learn, in order") List<String> tasks;
    @Option(names = "--methods", split = ",", defaultValue = "piece-s,piece-f,random,seqft",
            description = "methods to compare; METHOD@RATIO gives a masked method its own ratio (default ratio 0.001, PIECE's)") List<String> methods;
    @Option(names = "--seeds", split = ",", defaultValue = "1", description = "seeds") List<Long> seeds;
    @Option(names = "--max-train", defaultValue = "200", description = "training records per task") int maxTrain;
    @Option(names = "--max-test", defaultValue = "40", description = "test records per task") int maxTest;
    @Option(names = "--epochs", defaultValue = "3", description = "epochs per task") int epochs;
    @Option(names = "--lr", split = ",", defaultValue = "seqft=1e-4,piece-s=1e-3,piece-f=1e-3,random=1e-3",
            description = "learning rate per method (METHOD=LR); the masked methods need a larger one than full fine-tuning") List<String> lr;
    @Option(names = "--fresh", description = "delete what an earlier demo left in --out and run again") boolean fresh;
    @Option(names = "--backend", description = "ref, simd, ... (default: -Dpiece.backend, PIECE_BACKEND, else the best available)") String backend;
    @Option(names = "--threads", defaultValue = "0", description = "worker threads (default: all cores)") int threads;
    @Option(names = "--toy", description = "the earlier demo: one Llama block learns a copy task from scratch") boolean toy;
    @Option(names = "--steps", defaultValue = "300", description = "--toy: training steps") int steps;
    @Option(names = "--seed", defaultValue = "1", description = "--toy: seed") long seed;

    @Override
    public Integer call() throws IOException {
        if (toy) return toy();
        if (fresh) deleteTree(out);
        Path suiteDir = out.resolve("suite"), base = out.resolve("base.gguf"), runDir = out.resolve("run");
        if (!Files.exists(suiteDir.resolve("suite.json"))) {
            System.err.println("generating the bundled benchmark (seed " + BundledBenchmark.DEFAULT_SEED + ") into " + suiteDir);
            BundledBenchmark.generate(BundledBenchmark.DEFAULT_SEED, suiteDir);
        }
        BundledBase.extract(out);
        Suite suite = SuiteReader.read(suiteDir.toString(), new SuiteReader.Options(tasks, maxTrain, maxTest, 1));
        ContinualSettings settings = ContinualSettings.defaults().withEpochs(epochs).withLr(1e-4f, lrByMethod());
        boolean resume = Files.exists(runDir.resolve("config.json"));
        try (Backend be = Backends.create(backend, threads)) {
            System.out.println("piece4j demo: " + String.join(", ", methods) + " learn " + String.join(" -> ", suite.taskNames())
                    + " in turn, from the bundled base model");
            System.out.println("backend: " + be.description() + "; " + maxTrain + " training and " + maxTest + " test records per task, "
                    + epochs + " epochs" + (resume ? "; continuing the run in " + runDir : ""));
            ContinualRun.Spec spec = new ContinualRun.Spec(base, new ByteTokenizer(), suite, methods, seeds, List.of(0.001), List.of(), settings,
                    Map.of(), List.of(), runDir, resume, false);
            long t0 = System.nanoTime();
            ContinualProgress progress = new ContinualProgress();
            ContinualResults results = new ContinualRun(spec, be).onProgress(progress).run();
            progress.finish();
            System.out.println();
            System.out.print(new ContinualReport(results, runDir).summaryTable());
            System.out.printf(Locale.ROOT, "%n%.0f s. OP: mean final score over the tasks; BWT: change of each earlier task's score since it was "
                    + "learned (negative = forgotten); the probe is general ability kept from pretraining.%n", (System.nanoTime() - t0) / 1e9);
            System.out.println("report (report.md, charts/, results.json): " + runDir.toAbsolutePath().normalize());
        }
        return 0;
    }

    private Map<String, Float> lrByMethod() {
        Map<String, Float> m = new LinkedHashMap<>();
        for (String item : lr) {
            int eq = item.indexOf('=');
            if (eq < 0) throw new IllegalArgumentException("--lr " + item + ": expected METHOD=LR");
            try {
                m.put(item.substring(0, eq).trim(), Float.parseFloat(item.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--lr " + item + ": expected METHOD=LR with a number");
            }
        }
        return m;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(p)) { s.sorted(Comparator.reverseOrder()).forEach(all::add); }
        for (Path x : all) Files.delete(x);
    }

    private Integer toy() {
        try (Backend be = Backends.create(backend, threads)) {
            System.out.println("piece4j demo --toy: one transformer block learns to repeat the token seen "
                    + LagCopyTransformer.LAG + " positions earlier");
            System.out.println("backend: " + be.description() + ", seed " + seed + ", " + steps + " steps of batch 16");
            System.out.println("chance level loss = ln(" + LagCopyTransformer.VOCAB + ") = "
                    + String.format(Locale.ROOT, "%.3f", Math.log(LagCopyTransformer.VOCAB)));
            long t0 = System.nanoTime();
            float[] losses = LagCopyTransformer.train(be, seed, steps, 16);
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.println();
            System.out.println("| step | loss   |");
            System.out.println("|-----:|-------:|");
            int every = Math.max(1, steps / 10);
            for (int s = 0; s < steps; s += every) System.out.printf(Locale.ROOT, "| %4d | %.4f |%n", s + 1, losses[s]);
            System.out.printf(Locale.ROOT, "| %4d | %.4f |%n", steps, losses[steps - 1]);
            System.out.printf(Locale.ROOT, "%ntrained in %.2f s (%.1f steps/s)%n", secs, steps / secs);
        }
        return 0;
    }
}
