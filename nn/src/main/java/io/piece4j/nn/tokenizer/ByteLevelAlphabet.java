package io.piece4j.nn.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's table between bytes and printable characters, the alphabet byte-level BPE vocabularies are
 * written in (tokenizer.json, GGUF "gpt2"): the printable Latin-1 bytes '!'..'~', 0xA1..0xAC and
 * 0xAE..0xFF stand for themselves; the other 68 bytes take the code points 256, 257, ... in byte order,
 * so the space byte 0x20 is 'Ġ' (U+0120) and the newline 0x0A is 'Ċ' (U+010A).
 */
public final class ByteLevelAlphabet {
    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final int[] BYTE_OF_CHAR = new int[256 + 68]; // -1 for a character outside the alphabet

    static {
        Arrays.fill(BYTE_OF_CHAR, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : 256 + extra++);
            CHAR_OF_BYTE[b] = c;
            BYTE_OF_CHAR[c] = b;
        }
    }

    private ByteLevelAlphabet() {}

    /** The character that stands for byte b (0..255). */
    public static char charOf(int b) { return CHAR_OF_BYTE[b & 0xFF]; }

    /** The byte that character c stands for, or -1 when c is not in the alphabet. */
    public static int byteOf(char c) { return c < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[c] : -1; }

    /** Bytes written in the alphabet: one character per byte. */
    public static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = CHAR_OF_BYTE[bytes[i] & 0xFF];
        return new String(out);
    }

    /** The bytes a string in the alphabet stands for, or null if it holds a character outside it. */
    public static byte[] decode(String s) {
        byte[] out = new byte[s.length()];
        for (int i = 0; i < s.length(); i++) {
            int b = byteOf(s.charAt(i));
            if (b < 0) return null;
            out[i] = (byte) b;
        }
        return out;
    }
}
