package io.piece4j.piece.data;

import io.piece4j.nn.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tokenisation of a record with the byte tokenizer, where every id is computable by hand: BOS 1, EOS 2,
 * byte b -> b + 3, so 'a' = 100, 'b' = 101, ..., 'X' = 91, 'Y' = 92, 'Z' = 93.
 */
class ExampleTest {
    private static final ByteTokenizer BYTES = new ByteTokenizer();
    private static final int BOS = 1, EOS = 2;
    private static final int A = 100, B = 101, C = 102, D = 103, E = 104, F = 105, X = 91, Y = 92, Z = 93;

    private static Example of(String prompt, String answer, TruncationSettings limits) {
        return Example.of(new TaskRecord(prompt, answer, 1), BYTES, limits);
    }

    @Test
    void anExampleIsBosPromptAnswerEos() {
        Example e = of("ab", "XY", TruncationSettings.none());
        assertArrayEquals(new int[] {BOS, A, B, X, Y, EOS}, e.tokens(), "tokens");
        assertEquals(3, e.promptLength(), "BOS + 2 prompt tokens");
        assertEquals(2, e.answerLength(), "answer tokens");
        assertFalse(e.truncated(), "nothing cut");
    }

    @Test
    void onlyAnswerAndEosPositionsAreScoredEachWithTheNextToken() {
        Example e = of("ab", "XY", TruncationSettings.none());
        // position: 0 (BOS) predicts 'a', 1 predicts 'b': prompt, not scored; 2 predicts X, 3 predicts Y,
        // 4 predicts EOS; 5 (EOS) has nothing after it
        assertArrayEquals(new int[] {-1, -1, X, Y, EOS, -1}, e.targets(), "targets");
        assertEquals(3, e.scoredTokens(), "X, Y, EOS");
    }

    @Test
    void anEmptyPromptStillScoresTheFirstAnswerTokenFromBos() {
        Example e = of("", "X", TruncationSettings.none());
        assertArrayEquals(new int[] {BOS, X, EOS}, e.tokens(), "tokens");
        assertArrayEquals(new int[] {X, EOS, -1}, e.targets(), "BOS predicts the answer's first token");
    }

    @Test
    void promptAndAnswerAreEncodedSeparatelyInUtf8Bytes() {
        Example e = of("ü", "€", TruncationSettings.none());
        // ü = C3 BC, € = E2 82 AC
        assertArrayEquals(new int[] {BOS, 0xC3 + 3, 0xBC + 3, 0xE2 + 3, 0x82 + 3, 0xAC + 3, EOS}, e.tokens(), "tokens");
        assertEquals(3, e.promptLength(), "BOS + the two bytes of ü");
    }

    @Test
    void thePromptIsCutFromTheLeftAndTheAnswerFromTheRightKeepingEos() {
        Example e = of("abcdef", "XYZ", new TruncationSettings(2, 2, 0));
        assertArrayEquals(new int[] {BOS, E, F, X, Y, EOS}, e.tokens(), "the prompt keeps 'ef', the answer 'XY', EOS stays");
        assertArrayEquals(new int[] {-1, -1, X, Y, EOS, -1}, e.targets(), "targets after the cut");
        assertEquals(4, e.promptTokensCut(), "'abcd' cut");
        assertEquals(1, e.answerTokensCut(), "'Z' cut");
        assertTrue(e.truncated());
    }

    @Test
    void limitsThatAreNotExceededCutNothing() {
        Example e = of("abc", "XY", new TruncationSettings(3, 2, 7));
        assertArrayEquals(new int[] {BOS, A, B, C, X, Y, EOS}, e.tokens(), "tokens");
        assertFalse(e.truncated(), "exactly at every limit");
    }

    @Test
    void theModelContextCutsThePromptFromTheLeftBeforeTheAnswer() {
        Example e = of("abcdef", "XYZ", new TruncationSettings(0, 0, 6));
        assertArrayEquals(new int[] {BOS, F, X, Y, Z, EOS}, e.tokens(), "5 prompt tokens dropped, the answer whole");
        assertEquals(2, e.promptLength());
        assertEquals(5, e.promptTokensCut(), "prompt tokens cut");
        assertEquals(0, e.answerTokensCut(), "answer tokens cut");
    }

    @Test
    void anAnswerLongerThanTheContextLosesItsEndAndIsCounted() {
        Example e = of("abcd", "XYZ", new TruncationSettings(0, 0, 4));
        assertArrayEquals(new int[] {BOS, X, Y, EOS}, e.tokens(), "no prompt left, the answer cut to 'XY', EOS kept");
        assertArrayEquals(new int[] {X, Y, EOS, -1}, e.targets(), "targets");
        assertEquals(4, e.promptTokensCut(), "the whole prompt");
        assertEquals(1, e.answerTokensCut(), "'Z'");
    }

    @Test
    void fittingAddsToTheCutsOfEarlierLimitsAndLeavesShortExamplesAlone() {
        Example limited = of("abcdef", "XYZ", new TruncationSettings(3, 0, 0)); // BOS d e f X Y Z EOS
        Example fitted = limited.fitTo(5); // 8 tokens into 5: the 3 excess all come out of the prompt's 3
        assertArrayEquals(new int[] {BOS, X, Y, Z, EOS}, fitted.tokens(), "tokens");
        assertEquals(3 + 3, fitted.promptTokensCut(), "3 by maxPromptTokens, 3 by the context");
        assertSame(limited, limited.fitTo(8), "an example that fits is returned as it is");
        assertSame(limited, limited.fitTo(0), "0 = no limit");
    }

    @Test
    void limitsThatCannotHoldAnAnswerAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new TruncationSettings(0, 0, 2), "BOS + EOS leaves no answer");
        assertThrows(IllegalArgumentException.class, () -> new TruncationSettings(-1, 0, 0), "negative prompt limit");
        assertThrows(IllegalArgumentException.class, () -> of("a", "X", TruncationSettings.none()).fitTo(2), "fitTo(2)");
    }

    @Test
    void truncationsAreCountedPerKind() {
        TruncationSettings limits = new TruncationSettings(0, 0, 4);
        List<Example> examples = List.of(of("a", "X", limits), of("abcd", "X", limits), of("a", "XYZ", limits), of("ab", "XY", limits));
        TruncationCount count = TruncationCount.of(examples);
        assertEquals(new TruncationCount(4, 3, 1), count, "prompts cut: 2nd, 3rd, 4th; answers cut: 3rd");
        assertEquals("of 4 examples, 3 prompts and 1 answer were truncated", count.describe());
        assertTrue(count.any());
    }
}
