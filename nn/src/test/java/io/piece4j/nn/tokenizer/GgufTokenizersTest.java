package io.piece4j.nn.tokenizer;

import io.piece4j.nn.format.GgufKeyValue;
import io.piece4j.nn.format.GgufTokenizer;
import io.piece4j.nn.format.GgufVocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.piece4j.nn.tokenizer.IndependentIdsTest.assertGolden;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tokenizer files turned into the vocabulary a GGUF model embeds must tokenize as the independent
 * implementations did (sentencepiece, tiktoken), when read back as a GGUF vocabulary.
 */
class GgufTokenizersTest {
    @TempDir Path dir;

    private static Tokenizer asReadFromGguf(GgufVocabulary v) throws TokenizerFormatException {
        return Tokenizers.fromGguf(v.model(), v.tokens(), v.scores(), v.tokenTypes(), v.merges(), v.bosId(), v.eosId());
    }

    private static Map<String, GgufKeyValue> keys(GgufTokenizer t) {
        return t.otherKeys().stream().collect(Collectors.toMap(GgufKeyValue::key, kv -> kv));
    }

    @Test
    void tokenizerBinBecomesALlamaVocabularyThatGivesSentencepiecesIds() throws Exception {
        GgufTokenizer t = GgufTokenizers.read(GoldenIds.resource("spm-tiny.tokenizer.bin"));
        GgufVocabulary v = t.vocabulary();
        assertEquals("llama", v.model());
        assertEquals(List.of("<unk>", "<s>", "</s>", "<0x00>"), List.of(v.tokens()).subList(0, 4));
        assertEquals("\u2581d", v.tokens()[260], "llama2.c writes SentencePiece's \u2581 as a space; GGUF keeps \u2581");
        assertArrayEquals(new int[] {Tokenizers.UNKNOWN, Tokenizers.CONTROL, Tokenizers.CONTROL, Tokenizers.BYTE},
                java.util.Arrays.copyOf(v.tokenTypes(), 4), "token types of <unk>, <s>, </s>, <0x00>");
        assertEquals(Tokenizers.NORMAL, v.tokenTypes()[260]);
        assertEquals(-1f, v.scores()[260], "the file's own score");
        assertEquals(1, v.bosId());
        assertEquals(2, v.eosId());
        assertEquals(GgufKeyValue.bool("tokenizer.ggml.add_bos_token", true), keys(t).get("tokenizer.ggml.add_bos_token"));
        assertGolden(asReadFromGguf(v), "spm-tiny.golden.json");
    }

    @Test
    void llama2KindTokenizerJsonBecomesALlamaVocabularyScoredByMergeRank() throws Exception {
        GgufTokenizer t = GgufTokenizers.read(GoldenIds.resource("spm-tiny.tokenizer.json"));
        GgufVocabulary v = t.vocabulary();
        assertEquals("llama", v.model());
        assertNull(v.merges(), "SentencePiece BPE merges by score");
        assertEquals(Tokenizers.UNKNOWN, v.tokenTypes()[0]);
        assertEquals(Tokenizers.BYTE, v.tokenTypes()[3]);
        assertEquals(GgufKeyValue.u32("tokenizer.ggml.unknown_token_id", 0), keys(t).get("tokenizer.ggml.unknown_token_id"));
        assertGolden(asReadFromGguf(v), "spm-tiny.golden.json");
    }

    @Test
    void byteLevelTokenizerJsonsBecomeGpt2VocabulariesNamingTheirSplitPattern() throws Exception {
        for (String name : List.of("gpt2-tiny", "llama3-tiny")) {
            GgufTokenizer t = GgufTokenizers.read(GoldenIds.resource(name + ".tokenizer.json"));
            GgufVocabulary v = t.vocabulary();
            assertEquals("gpt2", v.model(), name);
            assertTrue(v.merges().length > 100, name + " keeps its merges");
            String pre = name.equals("gpt2-tiny") ? "gpt-2" : "llama-bpe";
            assertEquals(GgufKeyValue.string("tokenizer.ggml.pre", pre), keys(t).get("tokenizer.ggml.pre"), name);
            assertGolden(asReadFromGguf(v), name + ".golden.json");
        }
        GgufTokenizer llama3 = GgufTokenizers.read(GoldenIds.resource("llama3-tiny.tokenizer.json"));
        assertEquals(Tokenizers.CONTROL, llama3.vocabulary().tokenTypes()[1500], "<|begin_of_text|> is special");
        assertEquals(GgufKeyValue.bool("tokenizer.ggml.add_bos_token", false), keys(llama3).get("tokenizer.ggml.add_bos_token"),
                "llama3-tiny's post-processor adds no token");
    }

    @Test
    void aPostProcessorTemplateWithATokenBeforeTheTextMeansAddBos() throws Exception {
        String json = Files.readString(GoldenIds.resource("llama3-tiny.tokenizer.json"));
        String postProcessor = "\"post_processor\": {";
        assertTrue(json.contains(postProcessor), "llama3-tiny.tokenizer.json has changed: this test replaces its post_processor");
        String template = "\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<|begin_of_text|>\","
                + " \"type_id\": 0}}, {\"Sequence\": {\"id\": \"A\", \"type_id\": 0}}]}, \"former_post_processor\": {";
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, json.replace(postProcessor, template));
        GgufTokenizer t = GgufTokenizers.read(file);
        assertEquals(GgufKeyValue.bool("tokenizer.ggml.add_bos_token", true), keys(t).get("tokenizer.ggml.add_bos_token"));
        assertEquals(1500, t.vocabulary().bosId());
    }

    @Test
    void aTokenizerFileThatIsNeitherIsRefusedNamingIt() {
        Path missing = Path.of("no-such-tokenizer.json");
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> GgufTokenizers.read(missing));
        assertTrue(e.getMessage().contains("no-such-tokenizer.json"), e.getMessage());
    }
}
