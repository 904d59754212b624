package io.piece4j.bench;

import io.piece4j.cli.RunRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The rows of `piece bench compare`: piece4j's figure, the reference it is compared with and that
 * reference's figure measured in the same run, their ratio, and the target the ratio must reach (if
 * any). Rendered as one Markdown table (so it can go into docs/performance.md as printed) and as JSON.
 */
final class ComparisonTable {
    /** How a ratio is judged against its target. */
    enum Direction { AT_LEAST, AT_MOST, NONE }

    /**
     * One comparison. ratio = piece4j / reference (for speeds: how many times faster piece4j is; for
     * seconds per step: the fraction of the reference's time). A missing reference has a NaN figure.
     */
    record Row(String measure, String unit, double piece4j, String reference, double referenceValue, Direction direction,
               double target, String note) {
        double ratio() { return piece4j / referenceValue; }

        boolean hasTarget() { return direction != Direction.NONE; }

        /** null when there is no target or the reference is missing; else whether the ratio reaches it. */
        Boolean met() {
            if (!hasTarget() || !Double.isFinite(ratio())) return null;
            return direction == Direction.AT_LEAST ? ratio() >= target : ratio() <= target;
        }

        String targetText() {
            return switch (direction) {
                case AT_LEAST -> ">= " + plain(target) + "x";
                case AT_MOST -> "<= " + plain(target) + "x";
                case NONE -> "";
            };
        }

        String verdict() {
            Boolean m = met();
            if (!hasTarget()) return "";
            if (m == null) return "n/a (reference missing)";
            return m ? "met" : "MISSED";
        }
    }

    private final List<Row> rows = new ArrayList<>();

    void add(String measure, String unit, double piece4j, String reference, double referenceValue, Direction direction,
             double target, String note) {
        rows.add(new Row(measure, unit, piece4j, reference, referenceValue, direction, target, note));
    }

    void info(String measure, String unit, double piece4j, String reference, double referenceValue, String note) {
        add(measure, unit, piece4j, reference, referenceValue, Direction.NONE, Double.NaN, note);
    }

    List<Row> rows() { return rows; }

    /** A target as written in the issue: 0.95, 3, 0.6. */
    static String plain(double v) {
        return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) return "missing";
        double a = Math.abs(v);
        if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (a >= 10) return String.format(Locale.ROOT, "%.1f", v);
        if (a >= 1) return String.format(Locale.ROOT, "%.2f", v);
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** A Markdown table: measure, unit, piece4j, reference, its figure, ratio, target, verdict. */
    String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| measure | unit | piece4j | reference | reference figure | ratio | target | verdict |\n");
        sb.append("|---|---|---:|---|---:|---:|---|---|\n");
        for (Row r : rows) {
            String reference = r.reference() + (r.note() == null || r.note().isBlank() ? "" : " (" + r.note() + ")");
            sb.append("| ").append(r.measure()).append(" | ").append(r.unit()).append(" | ").append(fmt(r.piece4j()))
                    .append(" | ").append(reference).append(" | ").append(fmt(r.referenceValue()))
                    .append(" | ").append(Double.isFinite(r.ratio()) ? fmt(r.ratio()) + "x" : "n/a")
                    .append(" | ").append(r.targetText()).append(" | ").append(r.verdict()).append(" |\n");
        }
        return sb.toString();
    }

    /** The rows as JSON records (NaN figures become null). */
    List<RunRecord> toRecords() {
        List<RunRecord> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(new RunRecord().put("measure", r.measure()).put("unit", r.unit()).put("piece4j", finite(r.piece4j()))
                    .put("reference", r.reference()).put("reference_value", finite(r.referenceValue()))
                    .put("ratio", finite(r.ratio())).put("target", r.hasTarget() ? r.targetText() : null)
                    .put("met", r.met()).put("note", r.note()));
        }
        return out;
    }

    private static Double finite(double v) { return Double.isFinite(v) ? v : null; }
}
