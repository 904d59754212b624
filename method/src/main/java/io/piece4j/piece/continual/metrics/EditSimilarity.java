package io.piece4j.piece.continual.metrics;

/**
 * Edit similarity of two texts over Unicode code points:
 * 1 - indel(a, b) / (|a| + |b|) = 2 LCS(a, b) / (|a| + |b|), where indel is the edit distance with
 * insertions and deletions only (a substitution costs 2).
 *
 * <p>TRACE scores Py150 with {@code fuzzywuzzy.fuzz.ratio}, which is this ratio times 100 when
 * python-Levenshtein (or rapidfuzz, in its successor thefuzz) is installed, and otherwise difflib's
 * Ratcliff-Obershelp ratio 2M / (|a| + |b|) with M found by greedy longest blocks (M <= LCS, with a
 * junk heuristic for texts of 200 characters or more). TRACE's requirements do not list
 * python-Levenshtein. piece4j takes the exact LCS form: it does not depend on a heuristic, and equals
 * difflib's whenever the greedy blocks find a longest common subsequence. fuzz.ratio also rounds each
 * example to a whole percent; piece4j does not round. It is not 1 - Levenshtein / max(|a|, |b|):
 * "ab" against "ba" is 0.5 here and 0 under that formula.
 */
final class EditSimilarity {
    private EditSimilarity() {}

    static double score(String prediction, String reference) {
        int[] a = prediction.codePoints().toArray();
        int[] b = reference.codePoints().toArray();
        if (a.length == 0 || b.length == 0) return 0;
        return 2.0 * LongestCommonSubsequence.ofCodePoints(a, b) / (a.length + b.length);
    }
}
