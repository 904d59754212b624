package io.piece4j.cli;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.continual.CorpusProbe;
import io.piece4j.piece.continual.Probe;
import io.piece4j.piece.continual.Suite;
import io.piece4j.piece.continual.SuiteReader;
import io.piece4j.piece.continual.SuiteTask;
import io.piece4j.piece.continual.TaskEvaluator;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** Scores one model on every task of a suite and on its probes, with the code the continual runner uses. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Score a model on every task of a suite (greedy decoding, each task's metric, answer loss) and on the suite's probe.")
final class EvalCommand implements Callable<Integer> {
    @Mixin ModelOptions model;
    @Option(names = "--suite", required = true, description = "suite.json (or its folder), or trace:DIR") String suite;
    @Option(names = "--tasks", split = ",", description = "tasks to score (default: all)") List<String> tasks = new ArrayList<>();
    @Option(names = "--max-test", defaultValue = "0", description = "test records per task (0 = all)") int maxTest;
    @Option(names = "--split", defaultValue = "test", description = "test or valid") String split;
    @Option(names = "--probe", description = "extra probe task file: FILE or FILE:METRIC") List<String> probeFiles = new ArrayList<>();
    @Option(names = "--json", description = "print one JSON object as the last line") boolean json;

    @Override
    public Integer call() throws Exception {
        Suite s = SuiteReader.read(suite, new SuiteReader.Options(tasks, 0, maxTest, 1));
        if (!split.equals("test") && !split.equals("valid")) throw new IllegalArgumentException("--split " + split + ": expected test or valid");
        Tokenizer tok = model.tokenizer();
        try (Backend be = model.backend()) {
            LlamaModel m = model.load(be);
            TaskEvaluator evaluator = new TaskEvaluator(tok);
            RunRecord record = new RunRecord().put("command", "eval").put("model", model.model.toString()).put("suite", s.name());
            Map<String, Object> scores = new LinkedHashMap<>();
            System.out.println("| task | metric | score | answer loss | seconds |");
            System.out.println("|---|---|---:|---:|---:|");
            for (SuiteTask t : s.tasks()) {
                var records = split.equals("test") ? t.test() : t.valid();
                if (records.isEmpty()) throw new IllegalArgumentException("task " + t.name() + " has no " + split + " records");
                long t0 = System.nanoTime();
                TaskEvaluator.TaskScore score = evaluator.evaluate(m, records, t.metric(), t.maxNewTokens(), t.maxPromptTokens(), t.maxAnswerTokens());
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "| %s | %s | %.4f | %.4f | %.1f |%n", t.name(), t.metric().cliName(), score.score(), score.answerLoss(), secs);
                scores.put(t.name(), Map.of("metric", t.metric().cliName(), "score", score.score(), "answer_loss", score.answerLoss()));
            }
            List<Probe> probes = new ArrayList<>();
            if (s.probe() != null) probes.add(new CorpusProbe(s.probe(), tok));
            ContinualOptions extra = new ContinualOptions();
            extra.probeFiles = probeFiles;
            probes.addAll(extra.extraProbes(tok));
            Map<String, Object> probeScores = new LinkedHashMap<>();
            for (Probe p : probes) {
                Probe.ProbeScore ps = p.score(m);
                System.out.printf(Locale.ROOT, "probe %s: %.4f (%s) %s%n", p.name(), ps.primary(), p.higherIsBetter() ? "higher is better" : "lower is better", ps.parts());
                probeScores.put(p.name(), ps.parts());
            }
            if (json) {
                System.out.println(record.put("tasks", scores).put("probes", probeScores).put("split", split).put("backend", be.name())
                        .put("threads", be.threads()).put("tokenizer", tok.describe()).withEnvironment().toJson());
            }
        }
        return 0;
    }
}
