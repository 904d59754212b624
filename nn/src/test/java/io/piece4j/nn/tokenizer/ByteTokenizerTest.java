package io.piece4j.nn.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** llama2.c's byte-fallback layout: PAD/UNK 0, BOS 1, EOS 2, byte b is id b + 3. */
class ByteTokenizerTest {
    private final ByteTokenizer tok = new ByteTokenizer();

    @Test
    void byteBIsIdBPlusThreeBetweenBosAndEos() {
        assertArrayEquals(new int[] {1, 'A' + 3, 0xC3 + 3, 0xBC + 3, 2}, tok.encode("Aü", true, true));
        assertEquals(259, tok.vocabSize());
        assertEquals(1, tok.bosId());
        assertEquals(2, tok.eosId());
    }

    @Test
    void invalidUtf8DecodesToTheReplacementCharacter() {
        assertEquals("a\uFFFDb", tok.decode(new int[] {'a' + 3, 0xC3 + 3, 'b' + 3}), "a lead byte without its continuation");
        assertEquals("\uFFFD", tok.decode(new int[] {0xBC + 3}), "a continuation byte alone");
    }

    @Test
    void controlIdsDecodeToNothing() {
        assertEquals("A", tok.decode(new int[] {0, 1, 'A' + 3, 2}));
        assertEquals(0, tok.tokenBytes(1, 2).length);
    }
}
