package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;

/**
 * Multiple-choice questions on kinds of things (in the spirit of TRACE's ScienceQA): someone has or sees a
 * thing; of which of six kinds is it? The six kinds are always the options, in the same order, so the
 * answer's letter is a function of the thing alone: 48 things, each seen several times in training, while
 * the sentence, the person and the question's wording vary.
 *
 * <p>An earlier version asked which of four mixed words belonged to a named kind (a lookup of the word's
 * kind, then of the kind's option): full fine-tuning of the bundled base reached only 0.38 on it after 400
 * records x 8 epochs, so it failed the benchmark's rule that SeqFT learns every task.
 */
final class CategoryTask implements BundledTasks.Task {
    private static final String[] KINDS = {"fruit", "tool", "musical instrument", "piece of clothing", "vehicle", "wild bird"};
    private static final String[][] WORDS = {
        {"apple", "pear", "cherry", "grape", "peach", "lemon", "fig", "melon"},
        {"hammer", "saw", "chisel", "shovel", "wrench", "drill", "rake", "axe"},
        {"flute", "drum", "harp", "violin", "trumpet", "lute", "horn", "cello"},
        {"coat", "scarf", "glove", "boot", "shirt", "cloak", "hat", "sock"},
        {"cart", "boat", "wagon", "sled", "raft", "canoe", "carriage", "barge"},
        {"crow", "swan", "robin", "eagle", "heron", "finch", "sparrow", "hawk"},
    };
    private static final String[] SENTENCES = {"{N} found {a} {W}.", "{N} has {a} {W}.", "{N} saw {a} {W} yesterday.",
            "{N} drew {a} {W}.", "There is {a} {W} near {N}."};
    private static final String[] QUESTIONS = {"What kind of thing is the {W}?", "The {W} is a kind of what?",
            "Which kind does the {W} belong to?"};
    /** "A) fruit B) tool C) musical instrument D) piece of clothing E) vehicle F) wild bird" */
    private static final String OPTIONS = options();

    private final String[] names;

    CategoryTask(World world) { this.names = BundledTasks.firstNames(world); }

    @Override public String name() { return "categories"; }
    @Override public String domain() { return "multiple-choice questions on kinds of things (6 options)"; }
    @Override public String metric() { return "accuracy-letter"; }
    @Override public int maxNewTokens() { return 4; }

    @Override
    public BundledTasks.Item next(Rng rng) {
        int kind = rng.nextInt(KINDS.length);
        String word = WORDS[kind][rng.nextInt(WORDS[kind].length)];
        String article = "aeiou".indexOf(word.charAt(0)) >= 0 ? "an" : "a";
        String text = (WorldText.pick(rng, SENTENCES) + " " + WorldText.pick(rng, QUESTIONS))
                .replace("{N}", WorldText.pick(rng, names)).replace("{a}", article).replace("{W}", word);
        return new BundledTasks.Item(text + "\n" + OPTIONS + "\nAnswer:", " " + (char) ('A' + kind));
    }

    private static String options() {
        StringBuilder out = new StringBuilder();
        for (int k = 0; k < KINDS.length; k++) out.append(k == 0 ? "" : " ").append((char) ('A' + k)).append(") ").append(KINDS[k]);
        return out.toString();
    }
}
