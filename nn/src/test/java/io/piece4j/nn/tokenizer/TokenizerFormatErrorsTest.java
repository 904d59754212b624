package io.piece4j.nn.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad tokenizer files give one exception, TokenizerFormatException, whose message names the file and the
 * field; never an index, memory or stack error. Out-of-range ids on decode name the id and the vocabulary.
 */
class TokenizerFormatErrorsTest {
    @TempDir Path dir;

    private static final String LLAMA2_NORMALIZER = "\"normalizer\": {\"type\": \"Replace\", \"pattern\": {\"String\": \" \"}, \"content\": \"▁\"}";

    private static void assertFormatError(Executable load, String... mustName) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, load);
        for (String s : mustName) assertTrue(e.getMessage().contains(s), "message should name " + s + ": " + e.getMessage());
    }

    private void assertJsonError(String json, String... mustName) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json);
        String[] names = Arrays.copyOf(mustName, mustName.length + 1);
        names[mustName.length] = "tokenizer.json";
        assertFormatError(() -> Tokenizers.load(file), names);
    }

    private void assertBinError(byte[] bin, String... mustName) throws Exception {
        Path file = dir.resolve("tokenizer.bin");
        Files.write(file, bin);
        String[] names = Arrays.copyOf(mustName, mustName.length + 1);
        names[mustName.length] = "tokenizer.bin";
        assertFormatError(() -> Tokenizers.load(file), names);
    }

    // ---------------------------------------------------------------- tokenizer.json

    @Test
    void invalidJson() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"BPE\", ", "not valid JSON");
    }

    @Test
    void invalidJsonIsReportedByLineAndColumnWithoutJacksonsInternalLocationText() throws Exception {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, "{\"model\":\n {\"type\": \"BPE\"");
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(file));
        assertEquals("tokenizer.json: not valid JSON: Unexpected end-of-input: expected close marker for Object"
                + " (opened at line 2, column 2) at line 2, column 16", e.getMessage());
    }

    @Test
    void invalidUtf8InJson() throws Exception {
        Path file = dir.resolve("tokenizer.json");
        Files.write(file, new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'});
        assertFormatError(() -> Tokenizers.load(file), "tokenizer.json", "not valid JSON");
    }

    @Test
    void missingModel() throws Exception {
        assertJsonError("{\"version\": \"1.0\"}", "field 'model'", "missing");
    }

    @Test
    void missingVocab() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"merges\": []}}", "model.vocab", "missing");
    }

    @Test
    void missingMerges() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}", "model.merges", "missing");
    }

    @Test
    void modelThatIsNotBpe() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}", "model.type", "WordPiece");
    }

    @Test
    void mergeNamingAnUnknownToken() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\", \"a zz\"]}, "
                + LLAMA2_NORMALIZER + "}", "model.merges[1]", "'zz'");
    }

    @Test
    void mergeWhoseResultIsNotInTheVocabulary() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [[\"a\", \"b\"]]}, "
                + LLAMA2_NORMALIZER + "}", "model.merges[0]", "'ab'");
    }

    @Test
    void vocabularyIdsWithAGap() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 2, \"c\": 1, \"d\": 4}, \"merges\": []}}",
                "model.vocab[\"d\"]", "id 4 leaves a gap");
        // an added token may fill a gap in model.vocab, but not leave one
        assertJsonError("{\"added_tokens\": [{\"id\": 1, \"content\": \"b\"}, {\"id\": 3, \"content\": \"c\"}],"
                + " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": []}}", "model.vocab", "no token has id 2");
    }

    @Test
    void vocabularyIdTooLargeIsRejectedBeforeAnyAllocation() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 2000000000}, \"merges\": []}}",
                "model.vocab[\"a\"]", "id 2000000000 leaves a gap");
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 123456789012345678901234567890}, \"merges\": []}}",
                "model.vocab.a", "64 bits");
    }

    @Test
    void twoTokensWithOneId() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 0}, \"merges\": []}}", "model.vocab", "id 0");
    }

    @Test
    void addedTokenWithoutContent() throws Exception {
        assertJsonError("{\"added_tokens\": [{\"id\": 0}], \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}",
                "added_tokens[0].content", "missing");
    }

    @Test
    void neitherLlama2NorByteLevelLayout() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}", "pre_tokenizer", "ByteLevel");
    }

    @Test
    void byteLevelVocabularyMissingAByte() throws Exception {
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}",
                "model.vocab", "byte 0x0 ");
    }

    @Test
    void splitPatternJavaCannotRead() throws Exception {
        StringBuilder vocab = new StringBuilder();
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf(ByteLevelAlphabet.charOf(b)).replace("\\", "\\\\").replace("\"", "\\\"");
            vocab.append(b == 0 ? "" : ", ").append('"').append(c).append("\": ").append(b);
        }
        assertJsonError("{\"model\": {\"type\": \"BPE\", \"vocab\": {" + vocab + "}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"Sequence\","
                + " \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"Regex\": \"(unclosed\"}, \"behavior\": \"Isolated\", \"invert\": false},"
                + " {\"type\": \"ByteLevel\", \"use_regex\": false}]}}", "pre_tokenizer", "regular expression");
    }

    @Test
    void nestingDeepEnoughToOverflowAStack() throws Exception {
        assertJsonError("{\"model\": " + "[".repeat(100_000) + "]".repeat(100_000) + "}", "model");
    }

    // ---------------------------------------------------------------- llama2.c tokenizer.bin

    private static byte[] threeTokensAnd(byte[] tail) {
        byte[] head = TokenizerBinBytes.of(new String[] {"<unk>", "<s>", "</s>"}, new float[3]);
        byte[] all = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, all, head.length, tail.length);
        return all;
    }

    private static byte[] pieceHeader(float score, int length) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(score).putInt(length).array();
    }

    @Test
    void emptyTokenizerBin() throws Exception {
        assertBinError(new byte[0], "max_token_length");
    }

    @Test
    void implausibleMaxTokenLength() throws Exception {
        assertBinError(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x7F}, "max_token_length", "2147483647");
    }

    @Test
    void truncatedInsideATokensHeader() throws Exception {
        assertBinError(threeTokensAnd(new byte[] {0, 0, (byte) 0x80}), "token 3", "truncated");
    }

    @Test
    void truncatedInsideATokensBytes() throws Exception {
        byte[] good = Files.readAllBytes(GoldenIds.resource("spm-tiny.tokenizer.bin"));
        assertBinError(Arrays.copyOf(good, good.length - 1), "field 'length'");
    }

    @Test
    void lengthPastTheEndOfTheFile() throws Exception {
        byte[] bin = threeTokensAnd(pieceHeader(0, 5));
        ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 64); // max_token_length allows 5
        assertBinError(bin, "token 3", "field 'length' = 5");
    }

    @Test
    void negativeLength() throws Exception {
        assertBinError(threeTokensAnd(pieceHeader(0, -1)), "token 3", "field 'length' = -1");
    }

    @Test
    void lengthAboveMaxTokenLength() throws Exception {
        byte[] tail = Arrays.copyOf(pieceHeader(0, 6), 14);
        Arrays.fill(tail, 8, 14, (byte) 'x');
        assertBinError(threeTokensAnd(tail), "token 3", "field 'length' = 6"); // the three pieces set max_token_length 5
    }

    @Test
    void invalidUtf8InAPiece() throws Exception {
        byte[] tail = Arrays.copyOf(pieceHeader(0, 1), 9);
        tail[8] = (byte) 0xC3; // a lead byte with no continuation
        assertBinError(threeTokensAnd(tail), "token 3", "not valid UTF-8");
    }

    @Test
    void scoreThatIsNotANumber() throws Exception {
        byte[] tail = Arrays.copyOf(pieceHeader(Float.NaN, 1), 9);
        tail[8] = 'a';
        assertBinError(threeTokensAnd(tail), "token 3", "field 'score'");
    }

    @Test
    void fewerThanThreeTokens() throws Exception {
        assertBinError(TokenizerBinBytes.of(new String[] {"<unk>", "<s>"}, new float[2]), "2 tokens");
    }

    // ---------------------------------------------------------------- GGUF vocabulary

    @Test
    void ggufMergeNamingAnUnknownToken() {
        String[] tokens = new String[256];
        for (int b = 0; b < 256; b++) tokens[b] = String.valueOf(ByteLevelAlphabet.charOf(b));
        assertFormatError(() -> Tokenizers.fromGguf("gpt2", tokens, null, null, new String[] {"a b", "a \u0120zz"}, -1, -1),
                "GGUF vocabulary", "tokenizer.ggml.merges[0]", "'ab'");
    }

    @Test
    void ggufLlamaWithoutScores() {
        assertFormatError(() -> Tokenizers.fromGguf("llama", new String[] {"<unk>", "<s>", "</s>"}, null, null, null, 1, 2),
                "GGUF vocabulary", "tokenizer.ggml.scores", "missing");
    }

    @Test
    void ggufUnknownModel() {
        assertFormatError(() -> Tokenizers.fromGguf("bert", new String[] {"a"}, null, null, null, -1, -1),
                "GGUF vocabulary", "tokenizer.ggml.model", "bert");
    }

    @Test
    void ggufBosOutsideTheVocabulary() {
        assertFormatError(() -> Tokenizers.fromGguf("llama", new String[] {"a"}, new float[1], null, null, 7, -1),
                "GGUF vocabulary", "bos_token_id", "7");
    }

    // ---------------------------------------------------------------- decoding

    @Test
    void idsOutsideTheVocabularyOnDecodeNameTheIdAndTheVocabularySize() throws Exception {
        for (Tokenizer tok : RoundTripTest.everyKind()) {
            int n = tok.vocabSize();
            for (int bad : new int[] {n, -1}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.decode(new int[] {bad}), tok.describe());
                assertTrue(e.getMessage().contains("token id " + bad) && e.getMessage().contains(String.valueOf(n)), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> tok.tokenBytes(0, bad), tok.describe() + " streaming");
            }
        }
    }
}
