package io.piece4j.nn.tokenizer;

import io.piece4j.nn.format.GgufKeyValue;
import io.piece4j.nn.format.GgufTokenizer;
import io.piece4j.nn.format.GgufVocabulary;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads llama2.c's tokenizer.bin, little-endian:
 * <pre>
 *   int32 max_token_length
 *   per token, to the end of the file: float32 score, int32 length, length bytes of UTF-8
 * </pre>
 * Ids 0, 1, 2 are UNK, BOS and EOS; byte pieces are spelled {@code <0xHH>}; a space stands for
 * SentencePiece's "▁". Merges go by score, highest first, as in llama2.c's encoder.
 */
final class Llama2cTokenizerFile {
    static final int UNK = 0, BOS = 1, EOS = 2;
    /** llama2.c keeps pieces in fixed buffers; no real vocabulary has a piece anywhere near this long. */
    private static final int MAX_PIECE_BYTES = 1 << 16;

    private Llama2cTokenizerFile() {}

    /** The file's pieces (spaces as " ") and scores, by id. */
    private record Pieces(String[] pieces, float[] scores) {}

    static Tokenizer read(byte[] bytes, Path file) throws TokenizerFormatException {
        Pieces parsed = parse(bytes, file);
        String[] p = parsed.pieces();
        Map<String, Integer> idOf = new HashMap<>();
        for (int id = 0; id < p.length; id++) idOf.putIfAbsent(p[id], id);
        boolean[] control = new boolean[p.length];
        control[BOS] = control[EOS] = true;
        boolean[] mergeable = new boolean[p.length];
        for (int id = EOS + 1; id < p.length; id++) mergeable[id] = SentencePieceBpeTokenizer.byteValue(p[id]) < 0;
        PairMerges merges = PairMerges.byScore(p, idOf, parsed.scores(), mergeable);
        return new SentencePieceBpeTokenizer(p, control, merges, " ", true, BOS, EOS, UNK, file == null ? "tokenizer.bin" : file.getFileName().toString());
    }

    /**
     * The vocabulary as GGUF embeds it (model "llama"): pieces with spaces written as "▁", the file's scores,
     * UNK of type unknown, BOS and EOS control (spelled {@code <s>} and {@code </s>}: llama2.c's exporter wraps
     * them in newlines), byte pieces of type byte; BOS added to every text, EOS not, as llama2.c's run does.
     */
    static GgufTokenizer ggufForm(byte[] bytes, Path file) throws TokenizerFormatException {
        Pieces parsed = parse(bytes, file);
        String[] tokens = new String[parsed.pieces().length];
        int[] types = new int[tokens.length];
        for (int id = 0; id < tokens.length; id++) {
            String piece = parsed.pieces()[id];
            boolean byteToken = SentencePieceBpeTokenizer.byteValue(piece) >= 0;
            tokens[id] = id == BOS || id == EOS ? piece.strip() : byteToken ? piece : piece.replace(" ", SentencePieceBpeTokenizer.MARKER);
            types[id] = id == UNK ? Tokenizers.UNKNOWN : id == BOS || id == EOS ? Tokenizers.CONTROL : byteToken ? Tokenizers.BYTE : Tokenizers.NORMAL;
        }
        GgufVocabulary vocabulary = new GgufVocabulary("llama", tokens, parsed.scores(), types, null, BOS, EOS);
        return new GgufTokenizer(vocabulary, List.of(
                GgufKeyValue.u32("tokenizer.ggml.unknown_token_id", UNK),
                GgufKeyValue.bool("tokenizer.ggml.add_bos_token", true),
                GgufKeyValue.bool("tokenizer.ggml.add_eos_token", false)));
    }

    private static Pieces parse(byte[] bytes, Path file) throws TokenizerFormatException {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) throw TokenizerFormatException.in(file, "field 'max_token_length': file has only " + bytes.length + " bytes");
        int maxLength = b.getInt();
        if (maxLength <= 0 || maxLength > MAX_PIECE_BYTES) {
            throw TokenizerFormatException.in(file, "field 'max_token_length' = " + maxLength + ", expected 1.." + MAX_PIECE_BYTES
                    + " (is this a llama2.c tokenizer.bin?)");
        }
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        List<String> pieces = new ArrayList<>();
        FloatList scores = new FloatList();
        while (b.hasRemaining()) {
            int id = pieces.size();
            if (b.remaining() < 8) {
                throw TokenizerFormatException.in(file, "token " + id + " at byte " + b.position() + ": truncated, "
                        + b.remaining() + " bytes left where a score and a length need 8");
            }
            float score = b.getFloat();
            int length = b.getInt();
            if (length < 0 || length > maxLength || length > b.remaining()) {
                throw TokenizerFormatException.in(file, "token " + id + " field 'length' = " + length + ", expected 0.."
                        + Math.min(maxLength, b.remaining()) + " (max_token_length " + maxLength + ", " + b.remaining() + " bytes left)");
            }
            if (!Float.isFinite(score)) throw TokenizerFormatException.in(file, "token " + id + " field 'score' = " + score + ", expected a finite number");
            try {
                pieces.add(utf8.decode(ByteBuffer.wrap(bytes, b.position(), length)).toString());
            } catch (CharacterCodingException e) {
                throw TokenizerFormatException.in(file, "token " + id + " field 'piece': not valid UTF-8");
            }
            b.position(b.position() + length);
            scores.add(score);
        }
        if (pieces.size() <= EOS) throw TokenizerFormatException.in(file, pieces.size() + " tokens, expected UNK, BOS, EOS and more");
        return new Pieces(pieces.toArray(String[]::new), scores.toArray());
    }

    private static final class FloatList {
        private float[] a = new float[1024];
        private int n;

        void add(float v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        float[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }
}
