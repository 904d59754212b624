package io.piece4j.nn.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Byte-level BPE (GPT-2, Llama 3) on a vocabulary made by hand, with the expected ids worked out here. */
class ByteLevelRulesTest {
    /**
     * Ids 0..255 are the bytes in order, written in GPT-2's alphabet (so id 'h' is "h" and id ' ' is "Ġ");
     * then 256 "ll", 257 "he", 258 "el", 259 "hell", 260 "Ġw", 261 "hello", 262 "&lt;|a|&gt;", 263 "&lt;|a|&gt;b".
     * Merges by rank: 0 "l l", 1 "h e", 2 "e l", 3 "he ll", 4 "Ġ w". "hello" has no merge that makes it.
     */
    private static ByteLevelBpeTokenizer handMade(boolean ignoreMerges) {
        String[] tokens = new String[264];
        for (int b = 0; b < 256; b++) tokens[b] = String.valueOf(ByteLevelAlphabet.charOf(b));
        String[] more = {"ll", "he", "el", "hell", "\u0120w", "hello", "<|a|>", "<|a|>b"};
        System.arraycopy(more, 0, tokens, 256, more.length);
        PairMerges merges = new PairMerges();
        merges.add('l', 'l', 256, 0);
        merges.add('h', 'e', 257, 1);
        merges.add('e', 'l', 258, 2);
        merges.add(257, 256, 259, 3);
        merges.add(' ', 'w', 260, 4);
        boolean[] special = new boolean[tokens.length];
        special[262] = special[263] = true;
        return new ByteLevelBpeTokenizer(tokens, merges, ByteLevelBpeTokenizer.GPT2_PATTERN, ignoreMerges,
                Map.of("<|a|>", 262, "<|a|>b", 263), special, 262, 262, "hand-made");
    }

    @Test
    void theLowestRankedPairMergesFirstWhereverItIs() {
        // "hello": pairs h e (1), e l (2), l l (0). l l first -> h e ll o; then h e (1) -> he ll o;
        // then he ll (3) -> hell o. Leftmost-first would make "he" then "hel"... and never "ll".
        assertArrayEquals(new int[] {259, 'o'}, handMade(false).encode("hello", false, false));
    }

    @Test
    void wordsAreSplitBeforeMergingAndKeepTheirLeadingSpace() {
        // GPT-2's pattern: "hello", " world", "!" ; " world" -> Ġ w (4) -> Ġw o r l d
        assertArrayEquals(new int[] {259, 'o', 260, 'o', 'r', 'l', 'd', '!'}, handMade(false).encode("hello world!", false, false));
    }

    @Test
    void ignoreMergesTakesAWordThatIsATokenWhole() {
        assertArrayEquals(new int[] {261}, handMade(true).encode("hello", false, false));
        assertArrayEquals(new int[] {259, 'o'}, handMade(false).encode("hello", false, false));
    }

    @Test
    void addedTokensAreFoundBeforeSplittingLongestFirstAndDecodeToNothing() {
        ByteLevelBpeTokenizer tok = handMade(false);
        int[] ids = tok.encode("he<|a|>b<|a|>", false, false);
        assertArrayEquals(new int[] {257, 263, 262}, ids, "\"<|a|>b\" is longer than \"<|a|>\"");
        assertEquals("he", tok.decode(ids));
    }

    @Test
    void bytesOutsideAsciiGoThroughGpt2sAlphabet() {
        assertEquals('\u0120', ByteLevelAlphabet.charOf(' '), "space is Ġ");
        assertEquals('\u010A', ByteLevelAlphabet.charOf('\n'), "newline is Ċ");
        assertEquals('\u00E9', ByteLevelAlphabet.charOf(0xE9), "printable Latin-1 stands for itself");
        ByteLevelBpeTokenizer tok = handMade(false);
        assertArrayEquals(new int[] {0xC3, 0xBC}, tok.encode("ü", false, false), "ü is C3 BC in UTF-8");
        assertEquals("ü", tok.decode(new int[] {0xC3, 0xBC}));
        assertEquals("\uFFFD", tok.decode(new int[] {0xC3}), "a lone lead byte decodes to U+FFFD");
    }
}
