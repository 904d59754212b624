package io.piece4j.piece.continual.metrics;

import java.math.BigDecimal;

/**
 * Pulls the answer out of a generated text for the accuracy metrics: the first option letter, or the
 * first number. Both return null when the text has none.
 */
final class AnswerExtraction {
    private AnswerExtraction() {}

    /**
     * The first capital letter A-Z that stands alone as an option: neither the character before nor the
     * one after is a letter or digit. So "B", "(B)", "B.", "B) Paris" and "Answer: C" give B, B, B, B, C,
     * while the capitals inside "Answer" or "DNA" do not count. A pronoun "I" or an article "A" standing
     * alone does count: a text cannot tell them from an option.
     */
    static String firstOptionLetter(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 'A' || c > 'Z') continue;
            boolean alonePrevious = i == 0 || !isWordCodePoint(text.codePointBefore(i));
            boolean aloneNext = i + 1 == text.length() || !isWordCodePoint(text.codePointAt(i + 1));
            if (alonePrevious && aloneNext) return String.valueOf(c);
        }
        return null;
    }

    /**
     * The first number: an optional minus sign, digits, and an optional fraction of a full stop followed by
     * digits ("-12", "3", "3.50"). A number glued to the end of a word ("x2", "H2O", "Q1") is skipped; a
     * full stop not followed by a digit ends the number ("It is 3." gives 3). Digit-group commas are not
     * read: "1,000" gives 1. The minus counts only where it does not follow a letter or digit ("5-3" gives
     * 5, then would give 3, not -3).
     */
    static BigDecimal firstNumber(String text) {
        int n = text.length();
        for (int i = 0; i < n; i++) {
            if (!isAsciiDigit(text.charAt(i))) continue;
            if (i > 0 && Character.isLetter(text.codePointBefore(i))) {     // "x2": skip the whole digit run
                while (i + 1 < n && isAsciiDigit(text.charAt(i + 1))) i++;
                continue;
            }
            int start = i;
            if (i > 0 && text.charAt(i - 1) == '-' && (i == 1 || !isWordCodePoint(text.codePointBefore(i - 1)))) {
                start = i - 1;
            }
            int end = i;
            while (end < n && isAsciiDigit(text.charAt(end))) end++;
            if (end + 1 < n && text.charAt(end) == '.' && isAsciiDigit(text.charAt(end + 1))) {
                end++;
                while (end < n && isAsciiDigit(text.charAt(end))) end++;
            }
            return new BigDecimal(text.substring(start, end));
        }
        return null;
    }

    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isWordCodePoint(int cp) {
        return Character.isLetterOrDigit(cp);
    }
}
