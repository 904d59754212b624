package io.piece4j.nn.tokenizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** llama2.c tokenizer.bin contents built in a test: max_token_length, then (score, length, bytes) per piece. */
final class TokenizerBinBytes {
    private TokenizerBinBytes() {}

    static byte[] of(String[] pieces, float[] scores) {
        byte[][] utf8 = new byte[pieces.length][];
        int max = 1, total = 4;
        for (int i = 0; i < pieces.length; i++) {
            utf8[i] = pieces[i].getBytes(StandardCharsets.UTF_8);
            max = Math.max(max, utf8[i].length);
            total += 8 + utf8[i].length;
        }
        ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(max);
        for (int i = 0; i < pieces.length; i++) b.putFloat(scores[i]).putInt(utf8[i].length).put(utf8[i]);
        return b.array();
    }

    /** Pieces and scores read back from a tokenizer.bin, with spaces turned into "▁" as GGUF writes pieces. */
    record GgufForm(String[] pieces, float[] scores) {}

    static GgufForm ggufForm(byte[] bin) {
        ByteBuffer b = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
        b.getInt();
        java.util.List<String> pieces = new java.util.ArrayList<>();
        java.util.List<Float> scores = new java.util.ArrayList<>();
        while (b.hasRemaining()) {
            scores.add(b.getFloat());
            byte[] p = new byte[b.getInt()];
            b.get(p);
            pieces.add(new String(p, StandardCharsets.UTF_8).replace(" ", SentencePieceBpeTokenizer.MARKER));
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        return new GgufForm(pieces.toArray(String[]::new), s);
    }
}
