package io.piece4j.nn.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Bytes as tokens, in llama2.c's byte-fallback layout: id 0 is PAD/UNK, 1 BOS, 2 EOS, and byte b is id
 * b + 3 (vocabulary 259). Needs no file; invalid UTF-8 decodes to U+FFFD.
 */
public final class ByteTokenizer implements Tokenizer {
    public static final int PAD = 0, BOS = 1, EOS = 2, OFFSET = 3, VOCAB = 256 + OFFSET;

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int n = b.length + (addBos ? 1 : 0) + (addEos ? 1 : 0);
        int[] ids = new int[n];
        int i = 0;
        if (addBos) ids[i++] = BOS;
        for (byte x : b) ids[i++] = (x & 0xFF) + OFFSET;
        if (addEos) ids[i] = EOS;
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        ByteBuffer buf = ByteBuffer.allocate(ids.length);
        for (int id : ids) {
            check(id);
            if (id >= OFFSET) buf.put((byte) (id - OFFSET));
        }
        buf.flip();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(buf).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException(e); // cannot happen with REPLACE
        }
    }

    @Override
    public byte[] tokenBytes(int previous, int id) {
        check(id);
        return id >= OFFSET ? new byte[] {(byte) (id - OFFSET)} : new byte[0];
    }

    private static void check(int id) {
        if (id < 0 || id >= VOCAB) throw new IllegalArgumentException("token id " + id + " is outside the byte vocabulary of " + VOCAB);
    }

    @Override public int bosId() { return BOS; }
    @Override public int eosId() { return EOS; }
    @Override public int vocabSize() { return VOCAB; }
    @Override public String describe() { return "byte (259 ids: PAD 0, BOS 1, EOS 2, byte b = b + 3)"; }
}
