package io.piece4j.piece.continual.methods;

import io.piece4j.piece.Estimator;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.ContinualSettings;
import io.piece4j.piece.lora.LoraSettings;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every method the runner knows, by the name users type in --methods. */
public final class MethodCatalog {
    /** How to make a method from its options and the run's settings. */
    @FunctionalInterface
    public interface Factory {
        ContinualMethod create(MethodOptions options, ContinualSettings settings);
    }

    /** A method's facts for the command line and the report. */
    public record Entry(String name, boolean usesRatio, Factory factory) {}

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        add("piece-s", true, (o, s) -> new PieceMethod(Estimator.PIECE_S, o.ratio(), s.eligibleNorms(), s.untouchedTensorsTrain()));
        add("piece-f", true, (o, s) -> new PieceMethod(Estimator.PIECE_F, o.ratio(), s.eligibleNorms(), s.untouchedTensorsTrain()));
        add("random", true, (o, s) -> new RandomMaskMethod(o.ratio(), o.seed(), s.eligibleNorms(), s.untouchedTensorsTrain()));
        add("seqft", false, (o, s) -> new FullFineTuning());
        add("ewc", false, (o, s) -> new ElasticWeightConsolidation(o));
        add("lwf", false, (o, s) -> new LearningWithoutForgetting(o));
        add("gem", false, (o, s) -> new GradientEpisodicMemory(o));
        add("replay", false, (o, s) -> new Replay(o));
        add("replay-online", false, (o, s) -> new ReplayOnline(o));
        add("seqlora", false, (o, s) -> new SeqLora(LoraSettings.fromSettings(o.settings(), "lora"), o.seed()));
        add("olora", false, (o, s) -> new OLora(LoraSettings.fromSettings(o.settings(), "lora"), o.number("olora.lambda", 0.5), o.seed()));
        add("layernorm", false, (o, s) -> new LayerNormOnly());
        add("migu", false, (o, s) -> new Migu(o.number("migu.ratio", 0.001)));
    }

    private MethodCatalog() {}

    private static void add(String name, boolean usesRatio, Factory f) { ENTRIES.put(name, new Entry(name, usesRatio, f)); }

    /**
     * The ratio named in METHOD@RATIO, or null for a plain method name; checks the method exists, uses a ratio,
     * and the ratio lies in (0, 1].
     */
    public static Double ownRatio(String entry) {
        int at = entry.indexOf('@');
        if (at < 0) { get(entry); return null; }
        String method = entry.substring(0, at), text = entry.substring(at + 1);
        if (!get(method).usesRatio()) {
            throw new IllegalArgumentException("method '" + entry + "': " + method + " has no mask ratio; only masked methods take METHOD@RATIO");
        }
        double r;
        try {
            r = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("method '" + entry + "': expected METHOD@RATIO with a ratio in (0, 1], e.g. piece-s@0.01");
        }
        if (!(r > 0 && r <= 1)) throw new IllegalArgumentException("method '" + entry + "': ratio " + text + " is outside (0, 1]");
        return r;
    }

    /** The method of an entry: "piece-s@0.05" is piece-s. */
    public static String methodOf(String entry) {
        int at = entry.indexOf('@');
        return at < 0 ? entry : entry.substring(0, at);
    }

    public static List<String> names() { return List.copyOf(ENTRIES.keySet()); }

    public static Entry get(String name) {
        Entry e = ENTRIES.get(name);
        if (e == null) throw new IllegalArgumentException("unknown method '" + name + "': expected one of " + String.join(", ", ENTRIES.keySet()) + " or all");
        return e;
    }

    /**
     * "all" expands to every method; names are checked. A masked method may carry its own ratio, METHOD@RATIO
     * ("piece-s@0.05"), which then replaces --ratios for that entry.
     */
    public static List<String> expand(List<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (n.equals("all")) { for (String m : ENTRIES.keySet()) if (!out.contains(m)) out.add(m); }
            else { ownRatio(n); if (!out.contains(n)) out.add(n); }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--methods is empty: expected one of " + String.join(", ", ENTRIES.keySet()) + " or all");
        return out;
    }
}
