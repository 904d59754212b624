package io.piece4j.piece.continual.metrics;

import java.util.List;

/**
 * ROUGE-L F-measure of one prediction against one reference, over {@link TextTokens}:
 * P = LCS / |prediction|, R = LCS / |reference|, F = 2 P R / (P + R), 0 when nothing is shared.
 *
 * <p>TRACE scores ROUGE-L with the Python package {@code rouge} (summary level, union LCS over sentences
 * split at full stops, words counted as a set). piece4j takes the LCS of the whole token sequences; the two
 * agree when the texts have no repeated word, and differ where that package's set counting would ignore a
 * repetition.
 */
final class RougeL {
    private RougeL() {}

    static double score(String prediction, String reference) {
        List<String> p = TextTokens.split(prediction);
        List<String> r = TextTokens.split(reference);
        if (p.isEmpty() || r.isEmpty()) return 0;
        int lcs = LongestCommonSubsequence.ofTokens(p, r);
        if (lcs == 0) return 0;
        double precision = (double) lcs / p.size();
        double recall = (double) lcs / r.size();
        return 2 * precision * recall / (precision + recall);
    }
}
