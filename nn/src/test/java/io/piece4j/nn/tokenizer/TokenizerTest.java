package io.piece4j.nn.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tokenizers against an independent implementation and by hand: a SentencePiece BPE model trained with
 * Debian's sentencepiece (make_tokenizer_golden.py beside the resources) must give spm_encode's ids, read
 * as llama2.c tokenizer.bin, as Hugging Face tokenizer.json and as a GGUF vocabulary; round trips on
 * English, German, Chinese, emoji and code; byte-level BPE on a vocabulary built by hand.
 */
class TokenizerTest {
    private static final String[] TEXTS = {
            "The quick brown fox jumps over the lazy dog.",
            "Größe, Straße, Mädchen: schön über alles",
            "我们今天去公园散步。",
            "emoji 🙂, ZWJ 👩‍💻 and 𝄞 (4-byte)",
            "def f(x):\n\treturn x + 1  # code\n",
    };

    private static Path resource(String name) throws Exception {
        return Path.of(TokenizerTest.class.getResource("/tokenizer/" + name).toURI());
    }

    /** (text, ids) pairs recorded from sentencepiece by the generator script. */
    private static List<Object[]> golden() throws Exception {
        List<Object[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(resource("spm-tiny.golden.tsv"), StandardCharsets.UTF_8)) {
            String[] parts = line.split("\t");
            String json = parts[0];
            String text = json.substring(1, json.length() - 1).replace("\\n", "\n").replace("\\t", "\t").replace("\\\"", "\"");
            int[] ids = java.util.Arrays.stream(parts[1].trim().split(" ")).mapToInt(Integer::parseInt).toArray();
            out.add(new Object[] {text, ids});
        }
        return out;
    }

    private static List<Tokenizer> spmTokenizers() throws Exception {
        Tokenizer bin = Tokenizers.load(resource("spm-tiny.tokenizer.bin"));
        Tokenizer json = Tokenizers.load(resource("spm-tiny.tokenizer.json"));
        return List.of(bin, json);
    }

    @Test
    void sentencePieceModelGivesTheIdsOfSentencepieceItself() throws Exception {
        for (Tokenizer tok : spmTokenizers()) {
            for (Object[] g : golden()) {
                String text = (String) g[0];
                assertArrayEquals((int[]) g[1], tok.encode(text, false, false), tok.describe() + " on \"" + text + "\"");
                int[] withBos = tok.encode(text, true, true);
                assertEquals(1, withBos[0]);
                assertEquals(2, withBos[withBos.length - 1]);
            }
        }
    }

    @Test
    void roundTripsOnEveryScriptForEveryKind() throws Exception {
        List<Tokenizer> all = new ArrayList<>(spmTokenizers());
        all.add(new ByteTokenizer());
        all.add(handMadeByteLevel());
        for (Tokenizer tok : all) {
            for (String t : TEXTS) assertEquals(t, tok.decode(tok.encode(t, true, true)), tok.describe());
        }
    }

    @Test
    void llamaRulesByteFallbackMarkerAndLeadingSpaceAfterBos() throws Exception {
        Tokenizer tok = Tokenizers.load(resource("spm-tiny.tokenizer.bin"));
        // Ω is not in the 400-piece vocabulary: its two UTF-8 bytes 0xCE 0xA9 become byte tokens <0xCE>, <0xA9> (ids b + 3)
        int[] ids = tok.encode("Ω", false, false);
        assertEquals(0xCE + 3, ids[ids.length - 2]);
        assertEquals(0xA9 + 3, ids[ids.length - 1]);
        // the dummy prefix: encoding " x" differs from "x" only by the extra marker
        assertTrue(tok.encode("the", false, false).length <= tok.encode(" the", false, false).length);
        // the first piece after BOS loses its leading space when streamed, as llama2.c prints it
        int first = tok.encode("The", false, false)[0];
        byte[] afterBos = tok.tokenBytes(1, first), midText = tok.tokenBytes(42, first);
        assertEquals(midText.length - 1, afterBos.length);
        assertEquals(' ', midText[0]);
    }

    @Test
    void ggufVocabularyBehavesLikeTheTokenizerFile() throws Exception {
        SentencePieceBpeTokenizer bin = (SentencePieceBpeTokenizer) Tokenizers.load(resource("spm-tiny.tokenizer.bin"));
        // rebuild the GGUF form: "▁" markers, scores, byte tokens of type 6, control tokens of type 3
        byte[] raw = Files.readAllBytes(resource("spm-tiny.tokenizer.bin"));
        var b = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.getInt();
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (b.hasRemaining()) {
            scores.add(b.getFloat());
            byte[] p = new byte[b.getInt()];
            b.get(p);
            pieces.add(new String(p, StandardCharsets.UTF_8).replace(" ", "\u2581"));
        }
        float[] s = new float[scores.size()];
        int[] types = new int[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            types[i] = i < 3 ? (i == 0 ? 2 : 3) : SentencePieceBpeTokenizer.byteValue(pieces.get(i)) >= 0 ? 6 : 1;
        }
        Tokenizer gguf = Tokenizers.fromGguf("llama", pieces.toArray(String[]::new), s, types, null, 1, 2);
        for (Object[] g : golden()) assertArrayEquals((int[]) g[1], gguf.encode((String) g[0], false, false), "GGUF on " + g[0]);
        assertEquals(bin.vocabSize(), gguf.vocabSize());
    }

    /**
     * A byte-level BPE vocabulary built by hand: all 256 byte characters, then merges "h e" -> "he",
     * "he l" -> "hel", "Ġ w" -> "Ġw" (Ġ is GPT-2's character for the space byte), and a special token.
     */
    static ByteLevelBpeTokenizer handMadeByteLevel() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevelBpeTokenizer.byteChar(b)));
        tokens.add("he");   // 256
        tokens.add("hel");  // 257
        tokens.add("\u0120w"); // 258
        tokens.add("<|end|>"); // 259
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("h e", 0);
        ranks.put("he l", 1);
        ranks.put("\u0120 w", 2);
        return new ByteLevelBpeTokenizer(tokens.toArray(String[]::new), ranks, ByteLevelBpeTokenizer.GPT2_PATTERN,
                Map.of("<|end|>", 259), 259, 259, "hand-made");
    }

    @Test
    void byteLevelBpeMergesByRankAndMatchesSpecialTokensFirst() {
        ByteLevelBpeTokenizer tok = handMadeByteLevel();
        // "hello world": words "hello" and " world" (GPT-2 keeps the space with the word);
        // hello: h e -> he, he l -> hel, then l, o stay bytes; " world": Ġ w -> Ġw, then o r l d bytes
        int[] ids = tok.encode("hello world<|end|>", false, false);
        assertArrayEquals(new int[] {257, 'l', 'o', 258, 'o', 'r', 'l', 'd', 259}, ids);
        assertEquals("hello world", tok.decode(ids), "special tokens decode to nothing");
        // bytes outside ASCII go through the byte-to-character table and come back
        assertEquals("ü", tok.decode(tok.encode("ü", false, false)));
        assertEquals(2, tok.encode("ü", false, false).length, "two UTF-8 bytes, no merge");
    }

    @Test
    void badTokenizerFilesGiveTheFileAndField() throws Exception {
        Path dir = Files.createTempDirectory("tok");
        Path truncated = dir.resolve("tokenizer.bin");
        byte[] good = Files.readAllBytes(resource("spm-tiny.tokenizer.bin"));
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length - 3));
        var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(truncated));
        assertTrue(e.getMessage().contains("tokenizer.bin") && e.getMessage().contains("token"), e.getMessage());

        Path huge = dir.resolve("huge.bin");
        Files.write(huge, new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F, 0, 0, 0, 0});
        assertTrue(assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(huge)).getMessage().contains("max_token_length"));

        Path badUtf8 = dir.resolve("utf8.bin");
        var bb = java.nio.ByteBuffer.allocate(4 + 3 * 9 + 9).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        bb.putInt(4);
        for (int i = 0; i < 3; i++) { bb.putFloat(0); bb.putInt(1); bb.put((byte) 'a'); }
        bb.putFloat(0); bb.putInt(1); bb.put((byte) 0xC3);
        Files.write(badUtf8, java.util.Arrays.copyOf(bb.array(), bb.position()));
        assertTrue(assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(badUtf8)).getMessage().contains("token 3: piece is not valid UTF-8"));

        Path notJson = dir.resolve("tokenizer.json");
        Files.writeString(notJson, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a zz\"]}}");
        assertTrue(assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(notJson)).getMessage().contains("model.merges[0]"));
        Files.writeString(notJson, "{\"model\": {\"type\": \"BPE\", ");
        assertTrue(assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(notJson)).getMessage().contains("tokenizer.json"));
        Files.writeString(notJson, "{\"model\": {\"type\": \"WordPiece\"}}");
        assertTrue(assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(notJson)).getMessage().contains("model.type"));
    }

    @Test
    void unknownIdsOnDecodeNameTheIdAndTheVocabulary() throws Exception {
        Tokenizer tok = Tokenizers.load(resource("spm-tiny.tokenizer.bin"));
        var e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {5, 400}));
        assertTrue(e.getMessage().contains("400") && e.getMessage().contains("vocabulary of 400"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ByteTokenizer().decode(new int[] {-1}));
    }

    @Test
    void byteTokenizerLayoutIsLlama2cByteFallback() {
        ByteTokenizer t = new ByteTokenizer();
        assertArrayEquals(new int[] {1, 'A' + 3, 0xC3 + 3, 0xBC + 3, 2}, t.encode("Aü", true, true));
        assertEquals("\uFFFD", t.decode(new int[] {0xC3 + 3}), "a lone lead byte decodes to U+FFFD");
    }
}
