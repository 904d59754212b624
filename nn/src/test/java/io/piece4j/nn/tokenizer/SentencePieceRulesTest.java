package io.piece4j.nn.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Llama 2's rules: byte fallback, the "▁" marker, the dummy prefix, merge order, and llama2.c's streaming. */
class SentencePieceRulesTest {
    private static SentencePieceBpeTokenizer spmTiny(String file) throws Exception {
        return (SentencePieceBpeTokenizer) Tokenizers.load(GoldenIds.resource(file));
    }

    private static List<String> pieces(SentencePieceBpeTokenizer tok, int[] ids) {
        return Arrays.stream(ids).mapToObj(tok::piece).toList();
    }

    @Test
    void charactersMissingFromTheVocabularyBecomeTheirUtf8Bytes() throws Exception {
        SentencePieceBpeTokenizer tok = spmTiny("spm-tiny.tokenizer.bin");
        // Ω (U+03A9) is not among the 700 pieces; UTF-8 is CE A9. 🙂 (U+1F642) is F0 9F 99 82.
        assertEquals(List.of(" ", "<0xCE>", "<0xA9>"), pieces(tok, tok.encode("Ω", false, false)));
        assertEquals(List.of(" ", "<0xF0>", "<0x9F>", "<0x99>", "<0x82>"), pieces(tok, tok.encode("🙂", false, false)));
        assertEquals("Ω🙂", tok.decode(tok.encode("Ω🙂", true, true)));
    }

    @Test
    void spacesBecomeTheMarkerAndTheTextGetsADummyPrefix() throws Exception {
        SentencePieceBpeTokenizer tok = spmTiny("spm-tiny.tokenizer.json");
        String joined = String.join("", pieces(tok, tok.encode("the dog  runs", false, false)));
        assertEquals("▁the▁dog▁▁runs", joined, "pieces of the text, a marker for each space and one in front");
        assertEquals(0, tok.encode("", false, false).length, "empty text gets no dummy prefix");
        assertEquals(" the", tok.decode(tok.encode(" the", false, false)), "only the dummy prefix's space is dropped on decode");
    }

    @Test
    void controlPiecesAreNeverMadeFromText() throws Exception {
        SentencePieceBpeTokenizer tok = spmTiny("spm-tiny.tokenizer.json");
        int[] ids = tok.encode("<s></s>", false, false);
        assertTrue(Arrays.stream(ids).noneMatch(id -> id == tok.bosId() || id == tok.eosId()),
                "\"<s></s>\" as text must be spelled out, got " + pieces(tok, ids));
        assertEquals("<s></s>", tok.decode(ids));
    }

    @Test
    void theFirstPieceAfterBosLosesItsLeadingSpaceWhenStreamedAsInLlama2c() throws Exception {
        SentencePieceBpeTokenizer tok = spmTiny("spm-tiny.tokenizer.bin");
        int the = tok.encode("The", false, false)[0];
        assertEquals(" The", tok.piece(the), "the dummy prefix is part of the first piece");
        assertEquals("The", new String(tok.tokenBytes(tok.bosId(), the), StandardCharsets.UTF_8), "after BOS");
        assertEquals(" The", new String(tok.tokenBytes(the, the), StandardCharsets.UTF_8), "after any other token");
        int byteA9 = tok.encode("Ω", false, false)[2];
        assertArrayEquals(new byte[] {(byte) 0xA9}, tok.tokenBytes(the, byteA9), "a byte piece streams as its one byte");
        assertEquals(0, tok.tokenBytes(the, tok.eosId()).length, "EOS streams as nothing");
    }

    /**
     * A vocabulary made by hand, as llama2.c's tokenizer.bin:
     * <pre>
     *   0 &lt;unk&gt;  1 &lt;s&gt;  2 &lt;/s&gt;  3 " "  4 a  5 b  6 c
     *   7 "ab" score 1   8 "bc" score 2   9 " a" score 0.5   10 "abc" score 0.1
     * </pre>
     */
    private static Tokenizer handMade(Path dir) throws Exception {
        String[] pieces = {"<unk>", "<s>", "</s>", " ", "a", "b", "c", "ab", "bc", " a", "abc"};
        float[] scores = {0, 0, 0, 0, 0, 0, 0, 1, 2, 0.5f, 0.1f};
        Path bin = dir.resolve("hand.bin");
        Files.write(bin, TokenizerBinBytes.of(pieces, scores));
        return Tokenizers.load(bin);
    }

    @Test
    void mergesTakeTheHighestScoringPairFirst(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // " abc" -> [" ", a, b, c]. Pairs: " a" 0.5, "ab" 1, "bc" 2. Highest: bc -> [" ", a, bc].
        // Pairs: " a" 0.5, "abc" 0.1. Highest: " a" -> [" a", bc]; " abc" is not a piece. Leftmost-first
        // merging would give "ab" then "abc" instead.
        assertArrayEquals(new int[] {9, 8}, handMade(dir).encode("abc", false, false));
    }

    @Test
    void aPieceWithASpaceInsideStillMergesAcrossTheSpace(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // Merging goes word by word only when no piece has a space after another character; this one has "a b".
        String[] pieces = {"<unk>", "<s>", "</s>", " ", "a", "b", " b", "a b"};
        Path bin = dir.resolve("spaced.bin");
        Files.write(bin, TokenizerBinBytes.of(pieces, new float[] {0, 0, 0, 0, 0, 0, 1, 2}));
        // " a b" -> [" ", a, " ", b]; " b" (1) -> [" ", a, " b"]; "a b" (2) -> [" ", "a b"]
        assertArrayEquals(new int[] {3, 7}, Tokenizers.load(bin).encode("a b", false, false));
    }

    @Test
    void withoutBytePiecesARunOfUnknownCharactersIsOneUnknownPiece(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Tokenizer tok = handMade(dir);
        // " a ΩΩb" -> [" ", a, " ", <unk>, b], then " a" merges: [" a", " ", <unk>, b]
        int[] ids = tok.encode("a ΩΩb", false, false);
        assertArrayEquals(new int[] {9, 3, 0, 5}, ids);
        assertEquals("a \uFFFDb", tok.decode(ids), "the unknown piece decodes to U+FFFD");
    }

    @Test
    void tokenizerJsonMergesByRankNotByScore(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // the pieces of handMade, with merges listed so that "ab" (rank 0) beats "bc" (rank 1)
        String json = """
                {"model": {"type": "BPE", "byte_fallback": false, "unk_token": "<unk>",
                  "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "▁": 3, "a": 4, "b": 5, "c": 6, "ab": 7, "bc": 8, "▁a": 9, "abc": 10},
                  "merges": ["a b", "b c", "▁ a", "ab c"]},
                 "added_tokens": [{"id": 1, "content": "<s>", "special": true}, {"id": 2, "content": "</s>", "special": true}],
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                                {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}}
                """;
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json);
        // "▁abc" -> [▁, a, b, c]. Rank 0 "a b" -> [▁, ab, c]; rank 3 "ab c" -> [▁, abc]; "▁abc" is not a piece.
        assertArrayEquals(new int[] {3, 10}, Tokenizers.load(file).encode("abc", false, false));
    }
}
