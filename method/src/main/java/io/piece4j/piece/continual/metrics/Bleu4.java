package io.piece4j.piece.continual.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sentence BLEU-4 of one prediction against one reference over {@link TextTokens}, as TRACE computes it
 * (NLTK's {@code sentence_bleu}, weights 1/4 each, default smoothing):
 *
 * <pre>
 *   p_n  = sum over n-grams g of the prediction of min(count_pred(g), count_ref(g)) / number of n-grams of the prediction
 *   BP   = 1 if c > r, else exp(1 - r / c)        c = prediction length, r = reference length (tokens)
 *   BLEU = BP * exp(sum_{n=1..4} ln(p_n) / 4)
 * </pre>
 *
 * No smoothing: when any p_n is 0, including a prediction shorter than 4 tokens, BLEU-4 is 0. (NLTK
 * returns exactly 0 when p_1 is 0 and about 1e-77 when a higher order is 0; piece4j returns 0 for both.)
 * So a reference of fewer than 4 tokens cannot be matched: tasks scored with BLEU need longer answers.
 */
final class Bleu4 {
    private static final int MAX_ORDER = 4;

    private Bleu4() {}

    static double score(String prediction, String reference) {
        List<String> p = TextTokens.split(prediction);
        List<String> r = TextTokens.split(reference);
        if (p.isEmpty() || r.isEmpty()) return 0;
        double logPrecisionSum = 0;
        for (int n = 1; n <= MAX_ORDER; n++) {
            int total = p.size() - n + 1;
            if (total <= 0) return 0;
            int clipped = clippedMatches(p, r, n);
            if (clipped == 0) return 0;
            logPrecisionSum += Math.log((double) clipped / total);
        }
        double brevityPenalty = p.size() > r.size() ? 1 : Math.exp(1 - (double) r.size() / p.size());
        return brevityPenalty * Math.exp(logPrecisionSum / MAX_ORDER);
    }

    /** Sum over the prediction's distinct n-grams of min(count in prediction, count in reference). */
    static int clippedMatches(List<String> prediction, List<String> reference, int n) {
        Map<String, Integer> referenceCounts = counts(reference, n);
        int clipped = 0;
        for (Map.Entry<String, Integer> e : counts(prediction, n).entrySet()) {
            clipped += Math.min(e.getValue(), referenceCounts.getOrDefault(e.getKey(), 0));
        }
        return clipped;
    }

    /** n-gram counts; a tab joins the tokens of a key, which cannot occur inside a token. */
    private static Map<String, Integer> counts(List<String> tokens, int n) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            counts.merge(String.join("\t", tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return counts;
    }
}
