package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;

/**
 * Translation into an invented language (in the spirit of TRACE's 20Minuten rewriting): simple English
 * sentences, a fixed word-for-word lexicon, and one rule of order: an adjective follows its noun.
 * Scored by (BLEU-4 + ROUGE-L) / 2.
 *
 * <pre>
 *   the big dog sees a small bird at night   ->   ta vask gron tavi u tiro pim nokta
 * </pre>
 */
final class TranslationTask implements BundledTasks.Task {
    private static final String[][] NOUNS = {{"dog", "vask"}, {"cat", "mirel"}, {"child", "pono"}, {"horse", "dulan"},
            {"bird", "tiro"}, {"woman", "nira"}, {"man", "doven"}, {"fox", "rukka"}, {"farmer", "selo"}, {"girl", "amsi"}};
    private static final String[][] ADJECTIVES = {{"big", "gron"}, {"small", "pim"}, {"red", "rusa"}, {"old", "helde"},
            {"quick", "fesi"}, {"quiet", "lom"}, {"happy", "jalo"}, {"tired", "vemu"}};
    private static final String[][] VERBS = {{"sees", "tavi"}, {"likes", "meni"}, {"follows", "sori"}, {"finds", "kelo"},
            {"carries", "boru"}, {"hears", "audi"}, {"feeds", "nami"}, {"calls", "hoke"}};
    private static final String[][] ARTICLES = {{"the", "ta"}, {"a", "u"}};
    private static final String[][] ENDINGS = {{"", ""}, {"", ""}, {" today", " sanu"}, {" at night", " nokta"},
            {" again", " dema"}, {" by the river", " ulda bei"}};

    @Override public String name() { return "translate"; }
    @Override public String domain() { return "translation of simple English sentences into an invented language"; }
    @Override public String metric() { return "bleu-rouge"; }
    @Override public int maxNewTokens() { return 64; }

    @Override
    public BundledTasks.Item next(Rng rng) {
        String english = nounPhrase(rng) + " " + VERBS[rng.nextInt(VERBS.length)][0] + " " + nounPhrase(rng)
                + ENDINGS[rng.nextInt(ENDINGS.length)][0];
        String prompt = "Translate into Veli: " + WorldText.capitalise(english) + ".\nVeli:";
        return new BundledTasks.Item(prompt, " " + toVeli(english) + ".");
    }

    /** An article, a noun, and in half the cases an adjective before it. */
    private static String nounPhrase(Rng rng) {
        String article = ARTICLES[rng.nextInt(ARTICLES.length)][0], noun = NOUNS[rng.nextInt(NOUNS.length)][0];
        return rng.nextInt(2) == 0 ? article + " " + noun : article + " " + ADJECTIVES[rng.nextInt(ADJECTIVES.length)][0] + " " + noun;
    }

    /**
     * The Veli of an English sentence made of this task's words (lower case, no final full stop): word for
     * word, except that an adjective waits for its noun and follows it.
     */
    static String toVeli(String english) {
        String ending = "";
        for (String[] e : ENDINGS) {
            if (!e[0].isEmpty() && english.endsWith(e[0])) {
                english = english.substring(0, english.length() - e[0].length());
                ending = e[1];
                break;
            }
        }
        StringBuilder out = new StringBuilder();
        String pendingAdjective = null;
        for (String word : english.trim().split(" ")) {
            String adjective = lookup(ADJECTIVES, word);
            if (adjective != null) { pendingAdjective = adjective; continue; }
            String veli = lookup(NOUNS, word);
            if (veli == null) veli = lookup(VERBS, word);
            if (veli == null) veli = lookup(ARTICLES, word);
            if (veli == null) throw new IllegalArgumentException("'" + word + "' is not in the Veli lexicon");
            out.append(out.isEmpty() ? "" : " ").append(veli);
            if (pendingAdjective != null && lookup(NOUNS, word) != null) {
                out.append(' ').append(pendingAdjective);
                pendingAdjective = null;
            }
        }
        return out + ending;
    }

    private static String lookup(String[][] lexicon, String english) {
        for (String[] pair : lexicon) if (pair[0].equals(english)) return pair[1];
        return null;
    }
}
