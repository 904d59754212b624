package io.piece4j.nn.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Opens tokenizers: Hugging Face tokenizer.json, llama2.c tokenizer.bin, or a GGUF file's vocabulary. */
public final class Tokenizers {
    /** GGUF token types (llama.cpp's llama_token_type). */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final String GGUF = "GGUF vocabulary";
    /** Llama 3's tokenizer.json is 9 MB; a file past this is not a tokenizer. */
    private static final long MAX_FILE_BYTES = 1L << 30;

    private Tokenizers() {}

    /** A tokenizer.json (a JSON object: first non-blank byte '{') or else a llama2.c tokenizer.bin. */
    public static Tokenizer load(Path file) throws IOException {
        byte[] bytes = readBytes(file);
        if (looksLikeJson(bytes)) return HuggingFaceTokenizerJson.read(bytes, file);
        return Llama2cTokenizerFile.read(bytes, file);
    }

    /** The whole file, refusing one larger than any tokenizer. */
    static byte[] readBytes(Path file) throws TokenizerFormatException {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) throw TokenizerFormatException.in(file, size + " bytes, more than any tokenizer file (" + MAX_FILE_BYTES + ")");
            return Files.readAllBytes(file);
        } catch (TokenizerFormatException e) {
            throw e;
        } catch (IOException e) {
            throw TokenizerFormatException.in(file, "cannot read: " + e);
        }
    }

    /** Whether the first byte that is not white space is '{'. */
    static boolean looksLikeJson(byte[] bytes) {
        int i = 0;
        while (i < bytes.length && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t')) i++;
        return i < bytes.length && bytes[i] == '{';
    }

    /**
     * The vocabulary embedded in a GGUF file (its tokenizer.ggml.* keys).
     *
     * @param model      "llama": SentencePiece BPE merged by score, byte pieces of type 6; "gpt2": byte-level
     *                   BPE with merges (Llama 3's split pattern when the vocabulary has &lt;|begin_of_text|&gt;,
     *                   else GPT-2's)
     * @param tokens     token of each id
     * @param scores     score of each token (needed for "llama")
     * @param tokenTypes type of each token (1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte), or null
     * @param merges     "left right" in rank order (needed for "gpt2")
     * @param bosId      BOS id, or -1
     * @param eosId      EOS id, or -1
     */
    public static Tokenizer fromGguf(String model, String[] tokens, float[] scores, int[] tokenTypes, String[] merges,
                                     int bosId, int eosId) throws TokenizerFormatException {
        if (tokens == null || tokens.length == 0) throw ggufError("tokenizer.ggml.tokens", "empty");
        for (int i = 0; i < tokens.length; i++) if (tokens[i] == null) throw ggufError("tokenizer.ggml.tokens[" + i + "]", "missing");
        if (tokenTypes != null && tokenTypes.length != tokens.length) {
            throw ggufError("tokenizer.ggml.token_type", tokenTypes.length + " entries, expected one per token (" + tokens.length + ")");
        }
        if (bosId < -1 || bosId >= tokens.length) throw ggufError("tokenizer.ggml.bos_token_id", bosId + " is outside the vocabulary of " + tokens.length);
        if (eosId < -1 || eosId >= tokens.length) throw ggufError("tokenizer.ggml.eos_token_id", eosId + " is outside the vocabulary of " + tokens.length);
        int[] types = tokenTypes != null ? tokenTypes : defaultTypes(tokens, bosId, eosId);
        return switch (model == null ? "" : model) {
            case "llama" -> ggufSentencePiece(tokens, scores, types, bosId, eosId);
            case "gpt2" -> ggufByteLevel(tokens, types, merges, bosId, eosId);
            default -> throw ggufError("tokenizer.ggml.model", "'" + model + "', expected llama or gpt2");
        };
    }

    /** Without types: BOS and EOS are control, "&lt;0xHH&gt;" pieces are bytes, the rest normal. */
    private static int[] defaultTypes(String[] tokens, int bosId, int eosId) {
        int[] types = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) types[i] = SentencePieceBpeTokenizer.byteValue(tokens[i]) >= 0 ? BYTE : NORMAL;
        if (bosId >= 0) types[bosId] = CONTROL;
        if (eosId >= 0) types[eosId] = CONTROL;
        return types;
    }

    private static Tokenizer ggufSentencePiece(String[] tokens, float[] scores, int[] types, int bos, int eos) throws TokenizerFormatException {
        if (scores == null || scores.length != tokens.length) {
            throw ggufError("tokenizer.ggml.scores", (scores == null ? "missing" : scores.length + " entries") + ", expected one per token (" + tokens.length + ")");
        }
        Map<String, Integer> idOf = new HashMap<>();
        for (int id = 0; id < tokens.length; id++) idOf.putIfAbsent(tokens[id], id);
        boolean[] control = new boolean[tokens.length], mergeable = new boolean[tokens.length];
        int unk = -1;
        for (int id = 0; id < tokens.length; id++) {
            if (types[id] == UNKNOWN && unk < 0) unk = id;
            if (types[id] == BYTE && SentencePieceBpeTokenizer.byteValue(tokens[id]) < 0) {
                throw ggufError("tokenizer.ggml.tokens[" + id + "]", "'" + tokens[id] + "' has type byte but is not <0xHH>");
            }
            control[id] = types[id] == CONTROL || types[id] == UNUSED;
            mergeable[id] = types[id] == NORMAL || types[id] == USER_DEFINED;
        }
        if (bos >= 0) control[bos] = true;
        if (eos >= 0) control[eos] = true;
        PairMerges merges = PairMerges.byScore(tokens, idOf, scores, mergeable);
        return new SentencePieceBpeTokenizer(tokens, control, merges, SentencePieceBpeTokenizer.MARKER, true, bos, eos, unk, GGUF + " (llama)");
    }

    private static Tokenizer ggufByteLevel(String[] tokens, int[] types, String[] merges, int bos, int eos) throws TokenizerFormatException {
        if (merges == null) throw ggufError("tokenizer.ggml.merges", "missing, model gpt2 needs it");
        Map<String, Integer> added = new LinkedHashMap<>();
        Map<String, Integer> idOf = new HashMap<>();
        boolean[] special = new boolean[tokens.length];
        for (int id = 0; id < tokens.length; id++) {
            boolean isAdded = types[id] == CONTROL || types[id] == USER_DEFINED || types[id] == UNUSED;
            special[id] = types[id] == CONTROL || types[id] == UNUSED;
            if (isAdded) added.putIfAbsent(tokens[id], id);
            else idOf.putIfAbsent(tokens[id], id);
        }
        PairMerges table = new PairMerges();
        for (int i = 0; i < merges.length; i++) {
            String where = "tokenizer.ggml.merges[" + i + "]";
            String m = merges[i];
            int space = m == null ? -1 : m.indexOf(' ');
            if (space < 0) throw ggufError(where, "'" + m + "': expected \"left right\"");
            String left = m.substring(0, space), right = m.substring(space + 1);
            Integer l = idOf.get(left), r = idOf.get(right), merged = idOf.get(left + right);
            if (l == null || r == null) throw ggufError(where, "'" + (l == null ? left : right) + "' is not a token");
            if (merged == null) throw ggufError(where, "the merged token '" + left + right + "' is not a token");
            table.add(l, r, merged, i);
        }
        boolean llama3 = added.containsKey("<|begin_of_text|>");
        try {
            return new ByteLevelBpeTokenizer(tokens, table, llama3 ? ByteLevelBpeTokenizer.LLAMA3_PATTERN : ByteLevelBpeTokenizer.GPT2_PATTERN,
                    llama3, added, special, bos, eos, GGUF + (llama3 ? " (gpt2, Llama 3 split)" : " (gpt2)"));
        } catch (IllegalArgumentException e) {
            throw ggufError("tokenizer.ggml.tokens", e.getMessage());
        }
    }

    private static TokenizerFormatException ggufError(String field, String message) {
        return new TokenizerFormatException(GGUF + ": field '" + field + "': " + message);
    }
}
