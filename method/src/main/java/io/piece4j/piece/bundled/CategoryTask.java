package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;

/**
 * Multiple-choice questions (in the spirit of TRACE's ScienceQA): which of four words belongs to a named
 * kind of thing? One option is of that kind, three are drawn from the other kinds; the answer is its letter.
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
    private static final String[] QUESTIONS = {"Which of these is a {K}?", "Which one is a {K}?", "Pick the {K}."};

    @Override public String name() { return "categories"; }
    @Override public String domain() { return "multiple-choice questions on kinds of things (4 options)"; }
    @Override public String metric() { return "accuracy-letter"; }
    @Override public int maxNewTokens() { return 4; }

    @Override
    public BundledTasks.Item next(Rng rng) {
        int kind = rng.nextInt(KINDS.length);
        int answer = rng.nextInt(4);
        String[] options = new String[4];
        boolean[] usedKind = new boolean[KINDS.length];
        usedKind[kind] = true;
        for (int o = 0; o < 4; o++) {
            int k = kind;
            if (o != answer) { // a distractor from a kind not used yet
                do k = rng.nextInt(KINDS.length); while (usedKind[k]);
                usedKind[k] = true;
            }
            options[o] = WORDS[k][rng.nextInt(WORDS[k].length)];
        }
        String prompt = WorldText.pick(rng, QUESTIONS).replace("{K}", KINDS[kind]) + "\nA) " + options[0] + " B) " + options[1]
                + " C) " + options[2] + " D) " + options[3] + "\nAnswer:";
        return new BundledTasks.Item(prompt, " " + "ABCD".charAt(answer));
    }
}
