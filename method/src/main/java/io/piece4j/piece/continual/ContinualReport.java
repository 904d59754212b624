package io.piece4j.piece.continual;

import io.piece4j.piece.continual.report.Charts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * report.md and its PNG charts for a continual output folder: the summary table (OP, BWT, FWT, probe per
 * method, spread over seeds), the R matrix of every method, the probe along the sequence, answer losses,
 * where the masks sit (per layer and module kind) and how much the masks of different tasks overlap.
 */
public final class ContinualReport {
    private final ContinualResults results;
    private final Path dir;

    public ContinualReport(ContinualResults results, Path dir) {
        this.results = results;
        this.dir = dir;
    }

    /** Writes report.md and the charts; returns the report's path. */
    public Path write() throws IOException {
        Path charts = dir.resolve("charts");
        Files.createDirectories(charts);
        StringBuilder md = new StringBuilder();
        List<String> tasks = results.tasks();
        int n = tasks.size();
        Map<String, Object> cfg = results.config();
        md.append("# Continual learning on ").append(cfg.get("suite")).append("\n\n");
        md.append(String.format(Locale.ROOT, "Base model `%s` (%,d parameters, %s), tokenizer %s; tasks in order: %s.%n%n",
                cfg.get("base_model"), ((Number) cfg.get("parameters")).longValue(), cfg.get("model_config"), cfg.get("tokenizer"),
                String.join(" -> ", tasks)));
        md.append("Scores are measured on each task's test split after every task (greedy decoding). R[t][i] is task i's score after ")
                .append("training task t. OP = mean of the last row; BWT = mean over earlier tasks of (final score - score right after ")
                .append("learning it), negative = forgetting; FWT = mean of (score on task i before training it - base score). ")
                .append("Values are means over seeds, ± their standard deviation.\n\n");
        summary(md);
        chartsOverview(md, charts);
        for (ContinualResults.MethodResult m : results.methods().values()) methodSection(md, m, charts, n);
        settings(md);
        Path report = dir.resolve("report.md");
        Path tmp = Files.createTempFile(dir, "report.md", ".tmp");
        Files.writeString(tmp, md.toString());
        Files.move(tmp, report, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return report;
    }

    // ---------------------------------------------------------------- summary

    /** The table a newcomer reads first; also printed by the demo. */
    public String summaryTable() {
        StringBuilder sb = new StringBuilder();
        String probe = results.primaryProbe();
        boolean higher = probeHigherIsBetter(probe);
        sb.append("| method | trains | lr | OP | BWT | FWT | learned (R[t][t]) | ")
                .append(probe == null ? "" : "probe " + probe + (higher ? " (higher is better)" : " (lower is better)") + ": base -> final | ")
                .append("time |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|").append(probe == null ? "" : "---:|").append("---:|\n");
        int n = results.tasks().size();
        for (ContinualResults.MethodResult m : results.methods().values()) {
            double learned = 0;
            int c = 0;
            for (int t = 0; t < Math.min(n, m.finishedTasks()); t++) { learned += m.r()[t][t]; c++; }
            sb.append("| ").append(m.name()).append(m.complete(n) ? "" : " (" + m.finishedTasks() + "/" + n + " tasks)")
                    .append(" | ").append(trains(m))
                    .append(" | ").append(String.format(Locale.ROOT, "%.0e", m.lr()))
                    .append(" | ").append(pm(m.op(), m.opStd()))
                    .append(" | ").append(pm(m.bwt(), m.bwtStd()))
                    .append(" | ").append(pm(m.fwt(), m.fwtStd()))
                    .append(" | ").append(c == 0 ? "-" : f(learned / c));
            if (probe != null) {
                double[] curve = m.probe().get(probe);
                double last = lastFinite(curve);
                sb.append(" | ").append(f(curve[0])).append(" -> ").append(f(last)).append(" (").append(signed(last - curve[0])).append(")");
            }
            sb.append(" | ").append(String.format(Locale.ROOT, "%.0f s", m.seconds())).append(" |\n");
        }
        return sb.toString();
    }

    private void summary(StringBuilder md) {
        md.append("## Summary\n\n").append(summaryTable()).append('\n');
        md.append("`learned` is the mean over tasks of the score right after training the task (plasticity); the probe measures general ")
                .append("ability kept from pretraining (stability). `trains` is the share of parameters the optimizer updates per task.\n\n");
        List<String> old = new ArrayList<>();
        for (ContinualResults.MethodResult m : results.methods().values()) if (m.seesOldData()) old.add(m.name());
        if (!old.isEmpty()) md.append("Methods that see data of earlier tasks: ").append(String.join(", ", old)).append(".\n\n");
        md.append("| method | what it trains | sees old data | added parameters |\n|---|---|---|---:|\n");
        for (ContinualResults.MethodResult m : results.methods().values()) {
            md.append("| ").append(m.name()).append(" | ").append(m.description().replace("|", "\\|")).append(" | ").append(m.seesOldData() ? "yes" : "no")
                    .append(" | ").append(String.format(Locale.ROOT, "%,d", m.addedParameters())).append(" |\n");
        }
        md.append('\n');
    }

    private static String trains(ContinualResults.MethodResult m) {
        double f = m.trainableFraction();
        if (!Double.isFinite(f)) return "-";
        return f >= 0.999 ? "100 %" : String.format(Locale.ROOT, "%.3g %%", 100 * f);
    }

    // ---------------------------------------------------------------- charts across methods

    private void chartsOverview(StringBuilder md, Path charts) throws IOException {
        List<ContinualResults.MethodResult> ms = new ArrayList<>(results.methods().values());
        if (ms.isEmpty()) return;
        String[] names = ms.stream().map(ContinualResults.MethodResult::name).toArray(String[]::new);
        md.append("## Charts\n\n");
        double[][] vals = new double[3][names.length], errs = new double[3][names.length];
        for (int i = 0; i < ms.size(); i++) {
            ContinualResults.MethodResult m = ms.get(i);
            vals[0][i] = m.op(); errs[0][i] = m.opStd();
            vals[1][i] = m.bwt(); errs[1][i] = m.bwtStd();
            vals[2][i] = m.fwt(); errs[2][i] = m.fwtStd();
        }
        Charts.bars("OP, BWT and FWT per method (mean ± std over seeds)", names, new String[] {"OP", "BWT", "FWT"}, vals, errs, "score",
                charts.resolve("op-bwt-fwt.png"));
        md.append("![OP, BWT and FWT per method](charts/op-bwt-fwt.png)\n\n");

        int n = results.tasks().size();
        String[] x = new String[n + 1];
        x[0] = "base";
        for (int t = 0; t < n; t++) x[t + 1] = "after " + results.tasks().get(t);
        for (String probe : results.probeNames()) {
            double[][] curves = new double[names.length][], spread = new double[names.length][];
            for (int i = 0; i < ms.size(); i++) { curves[i] = ms.get(i).probe().get(probe); spread[i] = ms.get(i).probeStd().get(probe); }
            String file = "probe-" + probe + ".png";
            Charts.lines("General-ability probe '" + probe + "' along the sequence (" + (probeHigherIsBetter(probe) ? "higher" : "lower") + " is better)",
                    x, names, curves, spread, probe, charts.resolve(file));
            md.append("![probe ").append(probe).append("](charts/").append(file).append(")\n\n");
        }
        // stability against plasticity: one point per method variant
        String probe = results.primaryProbe();
        if (probe != null) {
            Map<String, List<double[]>> byMethod = new LinkedHashMap<>();
            for (ContinualResults.MethodResult m : ms) {
                double[] c = m.probe().get(probe);
                double learned = 0;
                int k = 0;
                for (int t = 0; t < Math.min(n, m.finishedTasks()); t++) { learned += m.r()[t][t]; k++; }
                if (k > 0) byMethod.computeIfAbsent(m.method(), key -> new ArrayList<>()).add(new double[] {lastFinite(c) - c[0], learned / k});
            }
            String[] series = byMethod.keySet().toArray(String[]::new);
            double[][] px = new double[series.length][], py = new double[series.length][];
            for (int i = 0; i < series.length; i++) {
                List<double[]> pts = byMethod.get(series[i]);
                px[i] = pts.stream().mapToDouble(p -> p[0]).toArray();
                py[i] = pts.stream().mapToDouble(p -> p[1]).toArray();
            }
            Charts.scatter("Stability against plasticity (one point per method variant)", series, px, py,
                    "probe change from base (" + probe + ")", "mean score right after learning each task", charts.resolve("front.png"));
            md.append("![stability against plasticity](charts/front.png)\n\n");
        }
    }

    // ---------------------------------------------------------------- per method

    private void methodSection(StringBuilder md, ContinualResults.MethodResult m, Path charts, int n) throws IOException {
        List<String> tasks = results.tasks();
        md.append("## ").append(m.name()).append("\n\n").append(m.description().replace("|", "\\|")).append(String.format(Locale.ROOT,
                ". lr %.1e, seeds %s.%n%n", m.lr(), m.runs().stream().map(RunState::seed).toList()));
        // R matrix
        md.append("R (rows: after training task; columns: task, metric):\n\n| after | ");
        for (int i = 0; i < n; i++) md.append(tasks.get(i)).append(metricOf(i)).append(" | ");
        md.append("\n|---|").append("---:|".repeat(n)).append('\n');
        md.append("| base | ");
        for (int i = 0; i < n; i++) md.append(f(results.base().scores()[i])).append(" | ");
        md.append('\n');
        for (int t = 0; t < n; t++) {
            md.append("| ").append(tasks.get(t)).append(" | ");
            for (int i = 0; i < n; i++) {
                String cell = pm(m.r()[t][i], m.rStd()[t][i]);
                md.append(i == t ? "**" + cell + "**" : cell).append(" | ");
            }
            md.append('\n');
        }
        md.append('\n');
        String[] rows = new String[n + 1];
        double[][] vals = new double[n + 1][];
        rows[0] = "base";
        vals[0] = results.base().scores();
        for (int t = 0; t < n; t++) { rows[t + 1] = "after " + tasks.get(t); vals[t + 1] = m.r()[t]; }
        String file = "r-" + safe(m.name()) + ".png";
        Charts.heatMap("R matrix: " + m.name() + " (score on each task after each task)", rows, tasks.toArray(String[]::new), vals, "%.2f",
                charts.resolve(file));
        md.append("![R matrix ").append(m.name()).append("](charts/").append(file).append(")\n\n");

        // answer loss
        md.append("Answer-token loss (lower is better):\n\n| after | ").append(String.join(" | ", tasks)).append(" |\n|---|")
                .append("---:|".repeat(n)).append("\n| base | ");
        for (int i = 0; i < n; i++) md.append(f(results.base().answerLoss()[i])).append(" | ");
        md.append('\n');
        for (int t = 0; t < n; t++) {
            md.append("| ").append(tasks.get(t)).append(" | ");
            for (int i = 0; i < n; i++) md.append(f(m.answerLoss()[t][i])).append(" | ");
            md.append('\n');
        }
        md.append('\n');

        // probes, with every part
        for (String probe : results.probeNames()) {
            md.append("Probe `").append(probe).append("`: ");
            double[] c = m.probe().get(probe), s = m.probeStd().get(probe);
            List<String> pts = new ArrayList<>();
            for (int t = 0; t <= n; t++) pts.add((t == 0 ? "base " : "after " + tasks.get(t - 1) + " ") + pm(c[t], s[t]));
            md.append(String.join(", ", pts)).append(".\n\n");
        }

        // where the masks sit
        if (!m.maskPerTensor().isEmpty() && !m.maskPerTensor().getFirst().isEmpty()) masks(md, m, charts);

        // a few predictions after the last finished task (first seed)
        RunState first = m.runs().getFirst();
        if (!first.tasks().isEmpty()) {
            RunState.TaskOutcome last = first.tasks().getLast();
            md.append("Predictions after ").append(last.task()).append(" (seed ").append(first.seed()).append(", first test example of each task):\n\n")
                    .append("| task | reference | prediction |\n|---|---|---|\n");
            for (int i = 0; i < n; i++) {
                List<TaskEvaluator.Sample> ss = last.samples().get(i);
                if (ss.isEmpty()) continue;
                md.append("| ").append(tasks.get(i)).append(" | ").append(cell(ss.getFirst().reference())).append(" | ")
                        .append(cell(ss.getFirst().prediction())).append(" |\n");
            }
            md.append('\n');
        }
    }

    private void masks(StringBuilder md, ContinualResults.MethodResult m, Path charts) throws IOException {
        List<Map<String, Long>> perTask = m.maskPerTensor();
        // layers x module kinds, summed over the tasks of the first seed
        Set<String> layers = new LinkedHashSet<>(), modules = new LinkedHashSet<>();
        Map<String, Map<String, Long>> cross = new LinkedHashMap<>();
        for (Map<String, Long> t : perTask) {
            for (var e : t.entrySet()) {
                if (e.getValue() == 0) continue;
                String[] lm = layerAndModule(e.getKey());
                layers.add(lm[0]);
                modules.add(lm[1]);
                cross.computeIfAbsent(lm[0], k -> new LinkedHashMap<>()).merge(lm[1], e.getValue(), Long::sum);
            }
        }
        String[] ls = layers.toArray(String[]::new), mods = modules.toArray(String[]::new);
        double[][] v = new double[mods.length][ls.length];
        for (int j = 0; j < mods.length; j++) {
            for (int i = 0; i < ls.length; i++) v[j][i] = cross.getOrDefault(ls[i], Map.of()).getOrDefault(mods[j], 0L);
        }
        String file = "mask-layers-" + safe(m.name()) + ".png";
        Charts.stackedBars("Selected parameters per layer and module, summed over tasks: " + m.name(), ls, mods, v, null, "selected count",
                charts.resolve(file));
        md.append("Where the selected parameters sit (summed over the ").append(perTask.size()).append(" task masks of seed ")
                .append(m.runs().getFirst().seed()).append("):\n\n![mask per layer ").append(m.name()).append("](charts/").append(file).append(")\n\n");
        md.append("| layer | ").append(String.join(" | ", mods)).append(" | total |\n|---|").append("---:|".repeat(mods.length + 1)).append('\n');
        for (String l : ls) {
            long total = 0;
            md.append("| ").append(l).append(" | ");
            for (String mod : mods) {
                long c = cross.getOrDefault(l, Map.of()).getOrDefault(mod, 0L);
                total += c;
                md.append(c).append(" | ");
            }
            md.append(total).append(" |\n");
        }
        md.append('\n');
        if (m.maskJaccard() != null) {
            String jf = "mask-overlap-" + safe(m.name()) + ".png";
            String[] t = results.tasks().toArray(String[]::new);
            Charts.heatMap("Jaccard overlap of the task masks: " + m.name(), t, t, m.maskJaccard(), "%.3f", charts.resolve(jf));
            md.append("Overlap of the masks of every pair of tasks (Jaccard, mean over seeds):\n\n![mask overlap ").append(m.name())
                    .append("](charts/").append(jf).append(")\n\n");
        }
    }

    /** "layers.3.attn.wq" -> {"layer 3", "attn.wq"}; "tok_embeddings" -> {"embeddings", ...}; "norm", "output" -> {"head", ...}. */
    static String[] layerAndModule(String tensor) {
        if (tensor.startsWith("layers.")) {
            int dot = tensor.indexOf('.', 7);
            return new String[] {"layer " + tensor.substring(7, dot), tensor.substring(dot + 1)};
        }
        return new String[] {tensor.equals("tok_embeddings") ? "embeddings" : "head", tensor};
    }

    private void settings(StringBuilder md) {
        md.append("## Settings and environment\n\n```\n");
        for (var e : results.config().entrySet()) md.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        md.append("```\n");
    }

    // ---------------------------------------------------------------- formatting

    @SuppressWarnings("unchecked")
    private boolean probeHigherIsBetter(String probe) {
        if (probe == null) return true;
        Object probes = results.config().get("probes");
        if (probes instanceof Map<?, ?> map && map.get(probe) instanceof Map<?, ?> facts && facts.get("higher_is_better") instanceof Boolean b) return b;
        return true;
    }

    private String metricOf(int i) {
        return results.metrics().size() > i ? " (" + results.metrics().get(i) + ")" : "";
    }

    private static double lastFinite(double[] c) {
        for (int i = c.length - 1; i >= 0; i--) if (Double.isFinite(c[i])) return c[i];
        return Double.NaN;
    }

    static String f(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "-"; }

    static String signed(double v) { return Double.isFinite(v) ? String.format(Locale.ROOT, "%+.3f", v) : "-"; }

    static String pm(double v, double s) {
        if (!Double.isFinite(v)) return "-";
        return Double.isFinite(s) && s > 0 ? String.format(Locale.ROOT, "%.3f ± %.3f", v, s) : f(v);
    }

    private static String cell(String s) {
        String t = s.replace("\n", "⏎").replace("|", "\\|");
        return "`" + (t.length() > 80 ? t.substring(0, 80) + "…" : t) + "`";
    }

    private static String safe(String name) { return name.replaceAll("[^A-Za-z0-9._-]", "_"); }
}
