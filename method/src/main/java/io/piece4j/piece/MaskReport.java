package io.piece4j.piece;

import io.piece4j.nn.model.ParameterLayout;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a mask's parameters sit: counts per tensor, per layer and per module kind (wq, w_down, attn_norm,
 * ...), each with the fraction of that group selected. Rendered as Markdown tables.
 */
public final class MaskReport {
    /** A group's selected count and size. */
    public record Count(long selected, long size) {
        public double fraction() { return size == 0 ? 0 : (double) selected / size; }
    }

    private final Map<String, Count> perTensor = new LinkedHashMap<>();
    private final Map<String, Count> perLayer = new LinkedHashMap<>();
    private final Map<String, Count> perModule = new TreeMap<>();

    public MaskReport(Mask mask, ParameterLayout layout) {
        int[] idx = mask.indices();
        int i = 0;
        for (ParameterLayout.Entry e : layout.entries()) {
            long end = e.offset() + e.numel();
            long n = 0;
            while (i < idx.length && idx[i] < end) { n++; i++; }
            perTensor.put(e.name(), new Count(n, e.numel()));
            String layer = e.layer() < 0 ? e.name() : "layer " + e.layer();
            perLayer.merge(layer, new Count(n, e.numel()), MaskReport::add);
            perModule.merge(e.module(), new Count(n, e.numel()), MaskReport::add);
        }
    }

    private static Count add(Count a, Count b) { return new Count(a.selected() + b.selected(), a.size() + b.size()); }

    public Map<String, Count> perTensor() { return perTensor; }
    public Map<String, Count> perLayer() { return perLayer; }
    public Map<String, Count> perModule() { return perModule; }

    public String toMarkdown() {
        StringBuilder sb = new StringBuilder();
        table(sb, "layer", perLayer);
        sb.append('\n');
        table(sb, "module", perModule);
        return sb.toString();
    }

    private static void table(StringBuilder sb, String what, Map<String, Count> rows) {
        sb.append("| ").append(what).append(" | selected | of | share |\n|---|---:|---:|---:|\n");
        for (var e : rows.entrySet()) {
            sb.append(String.format("| %s | %d | %d | %.4f %% |%n", e.getKey(), e.getValue().selected(), e.getValue().size(),
                    100 * e.getValue().fraction()));
        }
    }
}
