package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;

/**
 * Next-line code completion (in the spirit of TRACE's Py150): the start of a small Python function in
 * one of several patterns, with varied names; the answer is the next line, indentation included.
 * Scored by edit similarity.
 */
final class CodeTask implements BundledTasks.Task {
    private static final String[] FUNCTIONS = {"total", "count_big", "largest", "scaled", "join_words", "smallest", "evens",
            "first_match", "sum_squares", "keep_short"};
    private static final String[] LISTS = {"xs", "items", "values", "nums", "data", "row"};
    private static final String[] ITEMS = {"x", "v", "n", "item", "el"};
    private static final String[] RESULTS = {"acc", "result", "out", "s", "res"};

    @Override public String name() { return "code"; }
    @Override public String domain() { return "next-line completion of small Python functions"; }
    @Override public String metric() { return "edit-similarity"; }
    @Override public int maxNewTokens() { return 48; }

    @Override
    public BundledTasks.Item next(Rng rng) {
        String f = WorldText.pick(rng, FUNCTIONS), xs = WorldText.pick(rng, LISTS), x = WorldText.pick(rng, ITEMS),
                r = WorldText.pick(rng, RESULTS);
        int k = 2 + rng.nextInt(8);
        String head = "def " + f + "(" + xs + "):\n";
        String loop = "    for " + x + " in " + xs + ":\n";
        String[] code = switch (rng.nextInt(8)) {
            // {lines shown, next line}
            case 0 -> new String[] {head + "    " + r + " = 0\n" + loop, "        " + r + " += " + x};
            case 1 -> new String[] {head + "    " + r + " = 0\n" + loop + "        if " + x + " > " + k + ":\n", "            " + r + " += 1"};
            case 2 -> new String[] {head + "    " + r + " = " + xs + "[0]\n" + loop + "        if " + x + " > " + r + ":\n",
                    "            " + r + " = " + x};
            case 3 -> new String[] {head + "    " + r + " = []\n" + loop, "        " + r + ".append(" + x + " * " + k + ")"};
            case 4 -> new String[] {head + "    " + r + " = 0\n" + loop + "        " + r + " += " + x + " * " + x + "\n", "    return " + r};
            case 5 -> new String[] {head + "    " + r + " = []\n" + loop + "        if " + x + " % 2 == 0:\n", "            " + r + ".append(" + x + ")"};
            case 6 -> new String[] {head + loop + "        if " + x + " == " + k + ":\n", "            return " + x};
            default -> new String[] {head + "    " + r + " = []\n" + loop + "        if len(" + x + ") < " + k + ":\n",
                    "            " + r + ".append(" + x + ")"};
        };
        return new BundledTasks.Item("Complete the next line of code:\n" + code[0], code[1]);
    }
}
