package io.piece4j.nn.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Ids must equal those of independent implementations, recorded by make_tokenizer_golden.sh beside the
 * resources: SentencePiece itself for a BPE model it trained (spm-tiny, read here as llama2.c tokenizer.bin,
 * as Hugging Face tokenizer.json and as a GGUF vocabulary), and OpenAI's tiktoken for two small rank
 * tables cut from GPT-2's and cl100k's (gpt2-tiny with GPT-2's split pattern, llama3-tiny with Llama 3's,
 * read as tokenizer.json and as a GGUF vocabulary).
 */
class IndependentIdsTest {
    static void assertGolden(Tokenizer tok, String goldenFile) throws Exception {
        for (GoldenIds g : GoldenIds.read(goldenFile)) {
            int[] got = tok.encode(g.text(), false, false);
            if (!Arrays.equals(g.ids(), got)) {
                int i = 0;
                while (i < Math.min(got.length, g.ids().length) && got[i] == g.ids()[i]) i++;
                fail(tok.describe() + " on " + quoted(g.text()) + ": first difference at position " + i + " of "
                        + g.ids().length + "\n  expected " + Arrays.toString(g.ids()) + "\n  got      " + Arrays.toString(got));
            }
        }
    }

    /** The text with every white space but the plain space escaped, so a failure shows which one. */
    private static String quoted(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> b.append(c != ' ' && (Character.isWhitespace(c) || Character.isSpaceChar(c))
                ? String.format("\\u%04x", c) : Character.toString(c)));
        return b.append('"').toString();
    }

    @Test
    void llama2cTokenizerBinGivesSentencepiecesIds() throws Exception {
        assertGolden(Tokenizers.load(GoldenIds.resource("spm-tiny.tokenizer.bin")), "spm-tiny.golden.json");
    }

    @Test
    void llama2KindTokenizerJsonGivesSentencepiecesIds() throws Exception {
        assertGolden(Tokenizers.load(GoldenIds.resource("spm-tiny.tokenizer.json")), "spm-tiny.golden.json");
    }

    @Test
    void ggufLlamaVocabularyGivesSentencepiecesIds() throws Exception {
        var form = TokenizerBinBytes.ggufForm(Files.readAllBytes(GoldenIds.resource("spm-tiny.tokenizer.bin")));
        int[] types = new int[form.pieces().length];
        for (int id = 0; id < types.length; id++) {
            types[id] = id == 0 ? Tokenizers.UNKNOWN : id <= 2 ? Tokenizers.CONTROL
                    : SentencePieceBpeTokenizer.byteValue(form.pieces()[id]) >= 0 ? Tokenizers.BYTE : Tokenizers.NORMAL;
        }
        assertGolden(Tokenizers.fromGguf("llama", form.pieces(), form.scores(), types, null, 1, 2), "spm-tiny.golden.json");
    }

    @Test
    void gpt2TokenizerJsonGivesTiktokensIds() throws Exception {
        assertGolden(Tokenizers.load(GoldenIds.resource("gpt2-tiny.tokenizer.json")), "gpt2-tiny.golden.json");
    }

    @Test
    void llama3TokenizerJsonGivesTiktokensIds() throws Exception {
        assertGolden(Tokenizers.load(GoldenIds.resource("llama3-tiny.tokenizer.json")), "llama3-tiny.golden.json");
    }

    /** GGUF gives no pattern: Llama 3's is chosen from its special tokens, GPT-2's otherwise. */
    @Test
    void ggufGpt2VocabularyGivesTiktokensIdsWithEitherSplitPattern() throws Exception {
        for (String name : List.of("gpt2-tiny", "llama3-tiny")) {
            ByteLevelBpeTokenizer json = (ByteLevelBpeTokenizer) Tokenizers.load(GoldenIds.resource(name + ".tokenizer.json"));
            String[] tokens = new String[json.vocabSize()];
            int[] types = new int[tokens.length];
            for (int id = 0; id < tokens.length; id++) {
                tokens[id] = json.token(id);
                types[id] = tokens[id].startsWith("<|") ? Tokenizers.CONTROL : Tokenizers.NORMAL;
            }
            Tokenizer gguf = Tokenizers.fromGguf("gpt2", tokens, null, types, merges(name + ".tokenizer.json"), json.bosId(), json.eosId());
            assertGolden(gguf, name + ".golden.json");
            assertEquals(json.vocabSize(), gguf.vocabSize(), name + " vocabulary size");
        }
    }

    private static String[] merges(String tokenizerJson) throws Exception {
        JsonValues json = new JsonValues(null);
        Map<String, Object> model = json.object(json.object(json.parse(Files.readAllBytes(GoldenIds.resource(tokenizerJson))), "").get("model"), "model");
        return json.list(model.get("merges"), "merges").stream().map(String.class::cast).toArray(String[]::new);
    }

    @Test
    void theRecognisedBosAndEosAreTheFilesOwn() throws Exception {
        Tokenizer spm = Tokenizers.load(GoldenIds.resource("spm-tiny.tokenizer.json"));
        assertEquals(1, spm.bosId(), "<s>");
        assertEquals(2, spm.eosId(), "</s>");
        Tokenizer llama3 = Tokenizers.load(GoldenIds.resource("llama3-tiny.tokenizer.json"));
        assertEquals(1500, llama3.bosId(), "<|begin_of_text|>");
        assertEquals(1501, llama3.eosId(), "<|end_of_text|>");
        Tokenizer gpt2 = Tokenizers.load(GoldenIds.resource("gpt2-tiny.tokenizer.json"));
        assertEquals(1000, gpt2.bosId(), "<|endoftext|> opens");
        assertEquals(1000, gpt2.eosId(), "<|endoftext|> closes");
    }
}
