package io.piece4j.piece.continual.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every metric against values worked out by hand on small cases (the arithmetic is in the comments). */
class TaskMetricTest {
    private static final double EPS = 1e-12;

    private static void assertScore(double expected, TaskMetric metric, String prediction, String reference) {
        double actual = metric.scoreOne(prediction, reference);
        assertEquals(expected, actual, EPS, metric.cliName() + "('" + prediction + "', '" + reference + "') = " + actual
                + ", expected " + expected + " (off by " + (actual - expected) + ")");
    }

    // ---- names ----

    @Test
    void everyCliNameParsesBackToItsMetric() {
        for (TaskMetric m : TaskMetric.values()) assertEquals(m, TaskMetric.parse(m.cliName()));
        assertEquals(TaskMetric.BLEU_ROUGE, TaskMetric.parse("bleu-rouge"));
        assertEquals(TaskMetric.EDIT_SIMILARITY, TaskMetric.parse("edit-similarity"));
    }

    @Test
    void anUnknownNameFailsListingTheValidNames() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TaskMetric.parse("rouge"));
        assertEquals("unknown metric 'rouge'; expected one of accuracy-letter, accuracy-number, exact-match, rouge-l, "
                + "bleu-4, bleu-rouge, edit-similarity, py150-similarity, answer-loss", e.getMessage());
    }

    @Test
    void onlyAnswerLossIsLowerIsBetterAndNotGenerative() {
        for (TaskMetric m : TaskMetric.values()) {
            boolean loss = m == TaskMetric.ANSWER_LOSS;
            assertEquals(!loss, m.higherIsBetter(), m.cliName());
            assertEquals(!loss, m.generative(), m.cliName());
        }
        assertThrows(UnsupportedOperationException.class, () -> TaskMetric.ANSWER_LOSS.scoreOne("a", "a"));
        assertThrows(UnsupportedOperationException.class, () -> TaskMetric.ANSWER_LOSS.score(List.of("a"), List.of("a")));
    }

    // ---- Py150's literal placeholders ----

    @Test
    void py150SimilarityPutsTheLiteralsBackOnBothSidesBeforeComparing() {
        assertEquals("x = 0 + '' + 'a b'", TaskMetric.py150Literals("x = <NUM_LIT> + '<STR_LIT>' + '<STR_LIT:a b>'"));
        assertEquals("c == 7", TaskMetric.py150Literals("c == <NUM_LIT:7>"));
        // the same code written with and without placeholders is a perfect match once they are put back
        assertScore(1.0, TaskMetric.PY150_SIMILARITY, "return x + 0", "return x + <NUM_LIT>");
        assertScore(1.0, TaskMetric.PY150_SIMILARITY, "s = \"$x\"", "s = \"<STR_LIT:$x>\"");
        // plain edit similarity would see the placeholder text: "0" against "<NUM_LIT>"
        assertTrue(TaskMetric.EDIT_SIMILARITY.scoreOne("return x + 0", "return x + <NUM_LIT>") < 0.9);
    }

    // ---- accuracy on the first option letter ----

    @Test
    void letterAccuracyReadsTheFirstStandingCapital() {
        TaskMetric m = TaskMetric.ACCURACY_LETTER;
        assertScore(1, m, "B", "B");
        assertScore(1, m, " B", "B");
        assertScore(1, m, "(B) because the sky is blue", "B");
        assertScore(1, m, "B. Paris", "B");
        assertScore(1, m, "Answer: C\nBecause ...", "Answer: C");   // ScienceQA form; "A" of "Answer" is inside a word
        assertScore(0, m, "Answer: C", "Answer: D");
        assertScore(0, m, "C", "B");
    }

    @Test
    void letterInsideAWordDoesNotCount() {
        TaskMetric m = TaskMetric.ACCURACY_LETTER;
        assertScore(0, m, "Both", "B");          // no standing capital at all
        assertScore(1, m, "DNA: C", "C");        // D, N, A are inside a word; C stands
        assertScore(0, m, "CAT B", "C");         // the C of CAT does not count; the answer read is B
        assertScore(0, m, "b", "B");             // lower case is not an option letter
        assertScore(0, m, "B2", "B");            // a digit glued to it makes it a word
    }

    @Test
    void letterAccuracyIsZeroForEmptyOrLetterlessTexts() {
        TaskMetric m = TaskMetric.ACCURACY_LETTER;
        assertScore(0, m, "", "A");
        assertScore(0, m, "   ", "A");
        assertScore(0, m, "no option here", "A");
        assertScore(0, m, "A", "");
        assertScore(0, m, "x", "neither has one");   // no letter in either: not a match
    }

    // ---- accuracy on the first number ----

    @Test
    void numberAccuracyComparesNumerically() {
        TaskMetric m = TaskMetric.ACCURACY_NUMBER;
        assertScore(1, m, "3.0", "3");
        assertScore(1, m, "3", "3.00");
        assertScore(1, m, "007", "7");
        assertScore(1, m, "The answer is 3.", "3");        // a full stop with no digit after it ends the number
        assertScore(1, m, "-4 degrees", "-4");
        assertScore(0, m, "4", "-4");
        assertScore(0, m, "3.5", "3");
        assertScore(1, m, "12.5 km then 3", "12.50");
    }

    @Test
    void numberAccuracyTakesTheFirstStandaloneNumber() {
        TaskMetric m = TaskMetric.ACCURACY_NUMBER;
        assertScore(1, m, "x2 is 5", "5");                 // "x2" is part of a word
        assertScore(1, m, "5-3", "5");                     // first number is 5; the minus after a digit is not a sign
        assertScore(1, m, "1,000", "1");                   // digit-group commas are not read
        assertScore(0, m, "2 or 5", "5");
    }

    @Test
    void numberAccuracyIsZeroWithoutANumber() {
        TaskMetric m = TaskMetric.ACCURACY_NUMBER;
        assertScore(0, m, "", "3");
        assertScore(0, m, "three", "3");
        assertScore(0, m, "3", "three");
    }

    // ---- exact match ----

    @Test
    void exactMatchNormalisesWhitespaceButNotCase() {
        TaskMetric m = TaskMetric.EXACT_MATCH;
        assertScore(1, m, "  Paris\n", "Paris");
        assertScore(1, m, "New \t York", "New York");
        assertScore(0, m, "paris", "Paris");
        assertScore(0, m, "Paris.", "Paris");
        assertScore(0, m, "", "");                         // empty scores 0, as in TRACE
        assertScore(0, m, "", "Paris");
    }

    // ---- ROUGE-L ----

    @Test
    void rougeLIsTheF1OfTheLongestCommonTokenSubsequence() {
        TaskMetric m = TaskMetric.ROUGE_L;
        // LCS "the cat on the mat" = 5 of 6 and 6: P = R = F = 5/6
        assertScore(5.0 / 6, m, "the cat sat on the mat", "the cat is on the mat");
        // LCS 3, P = 3/3, R = 3/5: F = 2 * 1 * 0.6 / 1.6 = 0.75
        assertScore(0.75, m, "a b c", "a b c d e");
        // order matters: LCS of "c b a" and "a b c" is 1: P = R = F = 1/3
        assertScore(1.0 / 3, m, "c b a", "a b c");
        assertScore(1, m, "same words here", "same words here");
        assertScore(0, m, "nothing shared", "at all");
        assertScore(0, m, "", "at all");
    }

    @Test
    void rougeLSplitsAtFullStopsButKeepsOtherPunctuation() {
        TaskMetric m = TaskMetric.ROUGE_L;
        assertScore(1, m, "The cat.Sat", "The cat Sat.");
        // "cat," is a token of its own: LCS "a a dog" = 3 of 4 and 4: F = 0.75
        assertScore(0.75, m, "a cat, a dog.", "a cat a dog");
        assertScore(0, m, "Cat", "cat");                   // case-sensitive
        assertScore(0, m, "...", "cat");                   // only separators: no token
    }

    // ---- BLEU-4 ----

    @Test
    void bleuIsTheGeometricMeanOfClippedPrecisions() {
        TaskMetric m = TaskMetric.BLEU4;
        // p1 = 5/6, p2 = 4/5, p3 = 3/4, p4 = 2/3, equal lengths so BP = 1: (1/3)^(1/4)
        assertScore(Math.pow(1.0 / 3, 0.25), m, "the cat sat on the rug", "the cat sat on the mat");
        assertScore(1, m, "the cat sat on the mat", "the cat sat on the mat");
    }

    @Test
    void bleuClipsRepeatedNgramsToTheirCountInTheReference() {
        TaskMetric m = TaskMetric.BLEU4;
        // prediction a b a b a b, reference a b a b c d (6 tokens each, BP = 1)
        // 1-grams: a 3, b 3 vs a 2, b 2 -> 4/6; 2-grams: ab 3, ba 2 vs ab 2, ba 1 -> 3/5;
        // 3-grams: aba 2, bab 2 vs 1, 1 -> 2/4; 4-grams: abab 2, baba 1 vs abab 1 -> 1/3
        assertScore(Math.pow(4.0 / 6 * 3.0 / 5 * 2.0 / 4 * 1.0 / 3, 0.25), m, "a b a b a b", "a b a b c d");
        assertEquals(2, Bleu4.clippedMatches(TextTokens.split("the the the the"), TextTokens.split("the cat on the mat"), 1),
                "'the' appears twice in the reference, so four 'the' count twice");
    }

    @Test
    void bleuAppliesTheBrevityPenaltyOnlyToShortPredictions() {
        TaskMetric m = TaskMetric.BLEU4;
        // every precision 1, c = 4 < r = 6: BP = exp(1 - 6/4)
        assertScore(Math.exp(-0.5), m, "the cat sat on", "the cat sat on the mat");
        // longer prediction: no penalty, p = 6/7, 5/6, 4/5, 3/4
        assertScore(Math.pow(6.0 / 7 * 5.0 / 6 * 4.0 / 5 * 3.0 / 4, 0.25), m, "the cat sat on the mat today", "the cat sat on the mat");
    }

    @Test
    void bleuWithoutSmoothingIsZeroWhenAnOrderHasNoMatch() {
        TaskMetric m = TaskMetric.BLEU4;
        assertScore(0, m, "cat sat", "cat sat");                       // fewer than 4 tokens: no 4-gram
        assertScore(0, m, "the mat sat on cat the", "the cat sat on the mat"); // 4-grams all differ
        assertScore(0, m, "", "the cat sat on the mat");
        assertScore(0, m, "dogs bark at night", "the cat sat on the mat");
    }

    @Test
    void bleuRougeIsTheMeanOfTheTwo() {
        double bleu = Math.pow(1.0 / 3, 0.25), rouge = 5.0 / 6;
        assertScore((bleu + rouge) / 2, TaskMetric.BLEU_ROUGE, "the cat sat on the rug", "the cat sat on the mat");
        // short answers: BLEU-4 is 0, so a perfect match scores only the ROUGE half
        assertScore(0.5, TaskMetric.BLEU_ROUGE, "yes", "yes");
    }

    // ---- edit similarity ----

    @Test
    void editSimilarityIsTwiceTheCharacterLcsOverTheTotalLength() {
        TaskMetric m = TaskMetric.EDIT_SIMILARITY;
        assertScore(1, m, "return x", "return x");
        assertScore(2.0 * 4 / 13, m, "kitten", "sitting");           // LCS "ittn"
        assertScore(0.5, m, "ab", "ba");                              // 1 - Levenshtein/max would give 0
        assertScore(2.0 * 3 / 7, m, "abc", "abcd");                   // LCS 3, lengths 3 + 4
        assertScore(0, m, "", "x = 1");
        assertScore(0, m, "abc", "xyz");
    }

    @Test
    void editSimilarityCountsCodePointsNotUtf16Units() {
        // "😀a" is 2 code points (3 UTF-16 units); LCS with "a" is 1: 2 * 1 / (2 + 1)
        assertScore(2.0 / 3, TaskMetric.EDIT_SIMILARITY, "\uD83D\uDE00a", "a");
    }

    @Test
    void editSimilarityKeepsWhitespaceBecauseIndentationIsCode() {
        // "  x" vs "x": LCS 1, lengths 3 + 1
        assertScore(0.5, TaskMetric.EDIT_SIMILARITY, "  x", "x");
    }

    // ---- task score ----

    @Test
    void taskScoreIsTheMeanOverExamples() {
        assertEquals(2.0 / 3, TaskMetric.ACCURACY_LETTER.score(List.of("A", "B", "C"), List.of("A", "B", "D")), EPS);
        assertEquals((0.75 + 1) / 2, TaskMetric.ROUGE_L.score(List.of("a b c", "x"), List.of("a b c d e", "x")), EPS);
    }

    @Test
    void taskScoreRejectsMismatchedOrEmptyLists() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TaskMetric.EXACT_MATCH.score(List.of("a"), List.of("a", "b")));
        assertTrue(e.getMessage().contains("1 predictions for 2 references"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TaskMetric.EXACT_MATCH.score(List.of(), List.of()));
        assertFalse(Double.isNaN(TaskMetric.EXACT_MATCH.score(List.of(""), List.of("a"))));
    }
}
