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

    public static List<String> names() { return List.copyOf(ENTRIES.keySet()); }

    public static Entry get(String name) {
        Entry e = ENTRIES.get(name);
        if (e == null) throw new IllegalArgumentException("unknown method '" + name + "': expected one of " + String.join(", ", ENTRIES.keySet()) + " or all");
        return e;
    }

    /** "all" expands to every method; names are checked. */
    public static List<String> expand(List<String> names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (n.equals("all")) { for (String m : ENTRIES.keySet()) if (!out.contains(m)) out.add(m); }
            else { get(n); if (!out.contains(n)) out.add(n); }
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--methods is empty: expected one of " + String.join(", ", ENTRIES.keySet()) + " or all");
        return out;
    }
}
