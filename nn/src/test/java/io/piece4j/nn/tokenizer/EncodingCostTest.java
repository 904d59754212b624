package io.piece4j.nn.tokenizer;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Encoding is not quadratic in the length of a word: one 200,000-character word, the worst case for BPE,
 * takes well under a second with the priority-queue merge; rescanning for the best pair after each merge
 * (about n^2 / 2 = 2 * 10^10 pair looks) would take minutes. The limit is loose for a shared 2-core machine.
 */
class EncodingCostTest {
    private static final Duration LIMIT = Duration.ofSeconds(20);

    @Test
    void aVeryLongWordEncodesInNearLinearTimeForEveryKind() throws Exception {
        String word = "ab".repeat(100_000);
        for (Tokenizer tok : RoundTripTest.everyKind()) {
            String decoded = assertTimeoutPreemptively(LIMIT, () -> tok.decode(tok.encode(word, false, false)), tok.describe());
            assertEquals(word.length(), decoded.length(), tok.describe() + " round trip of the long word");
        }
    }

    @Test
    void aLongMixedTextEncodesQuickly() throws Exception {
        String text = String.join("\n", RoundTripTest.TEXTS).repeat(500); // about 100,000 characters
        for (Tokenizer tok : RoundTripTest.everyKind()) {
            String decoded = assertTimeoutPreemptively(LIMIT, () -> tok.decode(tok.encode(text, true, true)), tok.describe());
            assertEquals(text.length(), decoded.length(), tok.describe() + " round trip of the long text");
        }
    }
}
