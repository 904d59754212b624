package io.piece4j.piece.continual.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * The word tokens that BLEU and ROUGE-L count: the text split at every whitespace character and every
 * full stop, empty pieces dropped, case kept. This is the TRACE benchmark's BLEU tokenisation (a split on
 * {@code \s} or {@code .}); its ROUGE package splits sentences at {@code .} and words at whitespace, which
 * gives the same tokens. Other punctuation stays attached to its word ("cat," is not "cat").
 */
final class TextTokens {
    private TextTokens() {}

    static List<String> split(String text) {
        List<String> tokens = new ArrayList<>();
        int start = -1;                                  // start of the token being read, -1 between tokens
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            boolean separator = cp == '.' || Character.isWhitespace(cp) || Character.isSpaceChar(cp);
            if (separator && start >= 0) {
                tokens.add(text.substring(start, i));
                start = -1;
            } else if (!separator && start < 0) {
                start = i;
            }
            i += Character.charCount(cp);
        }
        if (start >= 0) tokens.add(text.substring(start));
        return tokens;
    }
}
