package io.piece4j.nn.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** decode(encode(text)) is the text again, for every kind of tokenizer and every kind of text. */
class RoundTripTest {
    static final String[] TEXTS = {
            "The quick brown fox jumps over the lazy dog.",
            "Größe, Straße, Mädchen: schön über alles. ÄÖÜ äöü ß",
            "我们今天去公园散步。天气很好！",
            "emoji 🙂, ZWJ family 👨‍👩‍👧‍👦, coder 👩‍💻, flag 🇩🇪, 4-byte 𝄞 𠜎",
            "def f(x):\n\treturn x + 1  # code\n\n    if (a < b) { c[i] = '\\t'; }\r\n",
            " leading and trailing spaces  ",
            "",
    };

    static List<Tokenizer> everyKind() throws Exception {
        List<Tokenizer> all = new ArrayList<>();
        all.add(new ByteTokenizer());
        all.add(Tokenizers.load(GoldenIds.resource("spm-tiny.tokenizer.bin")));
        all.add(Tokenizers.load(GoldenIds.resource("spm-tiny.tokenizer.json")));
        var gguf = TokenizerBinBytes.ggufForm(Files.readAllBytes(GoldenIds.resource("spm-tiny.tokenizer.bin")));
        all.add(Tokenizers.fromGguf("llama", gguf.pieces(), gguf.scores(), null, null, 1, 2));
        all.add(Tokenizers.load(GoldenIds.resource("gpt2-tiny.tokenizer.json")));
        all.add(Tokenizers.load(GoldenIds.resource("llama3-tiny.tokenizer.json")));
        return all;
    }

    @Test
    void decodeGivesBackTheEncodedTextWithAndWithoutBosAndEos() throws Exception {
        for (Tokenizer tok : everyKind()) {
            for (String text : TEXTS) {
                assertEquals(text, tok.decode(tok.encode(text, false, false)), tok.describe());
                assertEquals(text, tok.decode(tok.encode(text, true, true)), tok.describe() + " with BOS and EOS");
            }
        }
    }

    /** Streaming as generation prints: the bytes of each token after BOS, joined, are the text's UTF-8. */
    @Test
    void streamedTokenBytesJoinIntoTheText() throws Exception {
        for (Tokenizer tok : everyKind()) {
            for (String text : TEXTS) {
                int[] ids = tok.encode(text, true, false);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (int i = 1; i < ids.length; i++) out.writeBytes(tok.tokenBytes(ids[i - 1], ids[i]));
                assertEquals(text, out.toString(StandardCharsets.UTF_8), tok.describe() + " streamed");
            }
        }
    }

    @Test
    void bosComesFirstAndEosLast() throws Exception {
        for (Tokenizer tok : everyKind()) {
            int[] ids = tok.encode("Hi", true, true);
            assertEquals(tok.bosId(), ids[0], tok.describe() + " first id");
            assertEquals(tok.eosId(), ids[ids.length - 1], tok.describe() + " last id");
            assertEquals(ids.length - 2, tok.encode("Hi", false, false).length, tok.describe() + " ids between BOS and EOS");
        }
    }
}
