package io.piece4j.piece.lora;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a LoRA adapter looks like: its rank r, its alpha (the adapter's output is scaled by alpha / r) and
 * the linear weights of every block it adapts, by module name ("attn.wq"). Checked when made, so a bad
 * value fails before a model is read.
 *
 * @param rank    r >= 1
 * @param alpha   > 0
 * @param modules block modules adapted in every layer, in layout order, no repeats
 */
public record LoraSettings(int rank, double alpha, List<String> modules) {
    /** The block's linear weights, as ParameterLayout names them after "layers.N.". */
    public static final List<String> LINEAR_MODULES = List.of("attn.wq", "attn.wk", "attn.wv", "attn.wo", "mlp.w_gate", "mlp.w_up", "mlp.w_down");

    /** The paper's settings: rank 8, alpha 32, on the query and value projections. */
    public static LoraSettings paper() { return new LoraSettings(8, 32, List.of("attn.wq", "attn.wv")); }

    public LoraSettings {
        if (rank < 1) throw new IllegalArgumentException("LoRA rank " + rank + ": expected an integer >= 1");
        if (!(alpha > 0) || !Double.isFinite(alpha)) throw new IllegalArgumentException("LoRA alpha " + alpha + ": expected a finite number > 0");
        if (modules.isEmpty()) throw new IllegalArgumentException("LoRA targets are empty: expected some of " + shortNames());
        List<String> ordered = new ArrayList<>();
        for (String m : LINEAR_MODULES) if (modules.contains(m)) ordered.add(m);
        for (String m : modules) {
            if (!LINEAR_MODULES.contains(m)) throw new IllegalArgumentException("LoRA target '" + m + "' is not a linear weight of a block: expected some of " + shortNames());
        }
        if (ordered.size() != modules.size()) throw new IllegalArgumentException("LoRA targets " + modules + " repeat a weight");
        modules = List.copyOf(ordered);
    }

    /** alpha / r, the factor of the adapter's path. */
    public float scale() { return (float) (alpha / rank); }

    /**
     * Reads {@code PREFIX.rank}, {@code PREFIX.alpha} and {@code PREFIX.targets} (a comma list such as "wq,wv")
     * from method settings, with the paper's values for those not given.
     */
    public static LoraSettings fromSettings(Map<String, String> settings, String prefix) {
        LoraSettings d = paper();
        String r = settings.get(prefix + ".rank"), a = settings.get(prefix + ".alpha"), t = settings.get(prefix + ".targets");
        int rank = d.rank();
        if (r != null) {
            try {
                rank = Integer.parseInt(r.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--method-setting " + prefix + ".rank=" + r + ": expected an integer >= 1");
            }
        }
        double alpha = d.alpha();
        if (a != null) {
            try {
                alpha = Double.parseDouble(a.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--method-setting " + prefix + ".alpha=" + a + ": expected a number > 0");
            }
        }
        List<String> modules = t == null ? d.modules() : parseTargets(t);
        try {
            return new LoraSettings(rank, alpha, modules);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--method-setting " + prefix + ".*: " + e.getMessage(), e);
        }
    }

    /** "wq,wv" or "attn.wq,attn.wv" -> [attn.wq, attn.wv]; a name that is no block weight is kept, to be rejected with the list. */
    public static List<String> parseTargets(String commaList) {
        List<String> out = new ArrayList<>();
        for (String raw : commaList.split(",")) {
            String n = raw.strip();
            if (n.isEmpty()) continue;
            String full = n;
            for (String m : LINEAR_MODULES) if (m.substring(m.indexOf('.') + 1).equals(n)) full = m;
            out.add(full);
        }
        return out;
    }

    private static String shortNames() {
        return String.join(", ", LINEAR_MODULES.stream().map(m -> m.substring(m.indexOf('.') + 1)).toList());
    }

    /** "r 8, alpha 32 on wq, wv" for descriptions. */
    public String describe() {
        return "rank " + rank + ", alpha " + (alpha == Math.rint(alpha) ? Long.toString((long) alpha) : Double.toString(alpha)) + " on "
                + String.join(", ", modules.stream().map(m -> m.substring(m.indexOf('.') + 1)).toList());
    }
}
