package io.piece4j.nn.tokenizer;

import io.piece4j.nn.format.CheckpointFormatException;
import io.piece4j.nn.format.JsonTree;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Opens tokenizers: Hugging Face tokenizer.json, llama2.c tokenizer.bin, or a GGUF file's vocabulary. */
public final class Tokenizers {
    /** Llama 3's split pattern. */
    public static final String LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private Tokenizers() {}

    /** A tokenizer.json (JSON, first byte '{') or a llama2.c tokenizer.bin. */
    public static Tokenizer load(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw TokenizerFormatException.in(file, "cannot read: " + e.getMessage());
        }
        int i = 0;
        while (i < bytes.length && Character.isWhitespace(bytes[i])) i++;
        if (i < bytes.length && bytes[i] == '{') return fromTokenizerJson(bytes, file);
        return fromLlama2cBin(bytes, file);
    }

    // ---------------------------------------------------------------- llama2.c tokenizer.bin

    /**
     * llama2.c's format: int32 max_token_length, then per token float32 score, int32 length, length bytes
     * (UTF-8; a space stands for SentencePiece's marker), little-endian, to the end of the file.
     * Ids 0, 1, 2 are UNK, BOS, EOS.
     */
    static Tokenizer fromLlama2cBin(byte[] bytes, Path file) throws TokenizerFormatException {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) throw TokenizerFormatException.in(file, "field 'max_token_length': file too short (" + bytes.length + " bytes)");
        int maxLen = b.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) {
            throw TokenizerFormatException.in(file, "field 'max_token_length' = " + maxLen + ": expected 1..65536 (is this a tokenizer.bin?)");
        }
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        while (b.hasRemaining()) {
            int id = pieces.size();
            if (b.remaining() < 8) throw TokenizerFormatException.in(file, "token " + id + ": truncated (needs a score and a length)");
            float score = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > maxLen || len > b.remaining()) {
                throw TokenizerFormatException.in(file, "token " + id + " field 'length' = " + len + ": expected 0.." + Math.min(maxLen, b.remaining()));
            }
            String piece;
            try {
                piece = decoder.decode(ByteBuffer.wrap(bytes, b.position(), len)).toString();
            } catch (CharacterCodingException e) {
                throw TokenizerFormatException.in(file, "token " + id + ": piece is not valid UTF-8");
            }
            b.position(b.position() + len);
            pieces.add(piece);
            scores.add(score);
        }
        if (pieces.size() < 3) throw TokenizerFormatException.in(file, "only " + pieces.size() + " tokens: expected UNK, BOS, EOS and more");
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        return new SentencePieceBpeTokenizer(pieces.toArray(String[]::new), s, null, " ", true, 1, 2, 0, new int[] {0, 1, 2}, "llama2.c tokenizer.bin");
    }

    // ---------------------------------------------------------------- GGUF vocabulary

    /**
     * The vocabulary embedded in GGUF: model "llama" is SentencePiece BPE by scores (token type 6 = byte,
     * 2 = unknown, 3 = control); "gpt2" is byte-level BPE with merges (types 3 and 4 are special tokens).
     */
    public static Tokenizer fromGguf(String model, String[] tokens, float[] scores, int[] tokenTypes, String[] merges, int bosId, int eosId) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("GGUF vocabulary: tokenizer.ggml.tokens is empty");
        switch (model) {
            case "llama" -> {
                if (scores == null || scores.length != tokens.length) {
                    throw new IllegalArgumentException("GGUF vocabulary: tokenizer.ggml.scores must have one score per token (" + tokens.length + ")");
                }
                List<Integer> control = new ArrayList<>();
                int unk = 0;
                if (tokenTypes != null) {
                    for (int i = 0; i < tokenTypes.length; i++) {
                        if (tokenTypes[i] == 3 || tokenTypes[i] == 2) control.add(i);
                        if (tokenTypes[i] == 2) unk = i;
                    }
                }
                control.add(bosId);
                control.add(eosId);
                return new SentencePieceBpeTokenizer(tokens, scores, null, "\u2581", true, bosId, eosId, unk,
                        control.stream().mapToInt(Integer::intValue).toArray(), "GGUF llama vocabulary");
            }
            case "gpt2" -> {
                if (merges == null) throw new IllegalArgumentException("GGUF vocabulary: model gpt2 needs tokenizer.ggml.merges");
                Map<String, Integer> ranks = new HashMap<>();
                for (int i = 0; i < merges.length; i++) ranks.putIfAbsent(merges[i], i);
                Map<String, Integer> special = new LinkedHashMap<>();
                if (tokenTypes != null) for (int i = 0; i < tokenTypes.length; i++) if (tokenTypes[i] == 3 || tokenTypes[i] == 4) special.put(tokens[i], i);
                boolean llama3 = special.containsKey("<|begin_of_text|>");
                return new ByteLevelBpeTokenizer(tokens, ranks, llama3 ? LLAMA3_PATTERN : ByteLevelBpeTokenizer.GPT2_PATTERN, special,
                        bosId, eosId, "GGUF gpt2 vocabulary");
            }
            default -> throw new IllegalArgumentException("GGUF vocabulary: tokenizer.ggml.model = '" + model + "': expected llama or gpt2");
        }
    }

    // ---------------------------------------------------------------- tokenizer.json

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object o, Path file, String field) throws TokenizerFormatException {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw TokenizerFormatException.in(file, "field '" + field + "': expected an object");
    }

    /**
     * Hugging Face tokenizer.json with a BPE model: the Llama 2 kind (byte fallback, "▁" marker from a
     * Replace/Prepend normalizer or a Metaspace pre-tokenizer) or the byte-level kind (a ByteLevel
     * pre-tokenizer; the split regex from a Split pre-tokenizer, else GPT-2's).
     */
    static Tokenizer fromTokenizerJson(byte[] bytes, Path file) throws TokenizerFormatException {
        Object root;
        try {
            root = JsonTree.parse(bytes, file, "");
        } catch (CheckpointFormatException e) {
            throw new TokenizerFormatException(e.getMessage(), e);
        }
        Map<String, Object> json = object(root, file, "(root)");
        Map<String, Object> model = object(json.get("model"), file, "model");
        if (!"BPE".equals(model.get("type"))) throw TokenizerFormatException.in(file, "field 'model.type' = " + model.get("type") + ": expected BPE");
        Map<String, Object> vocab = object(model.get("vocab"), file, "model.vocab");
        Map<String, Integer> added = new LinkedHashMap<>();
        Map<String, Integer> special = new LinkedHashMap<>();
        if (json.get("added_tokens") instanceof List<?> list) {
            for (Object o : list) {
                Map<String, Object> t = object(o, file, "added_tokens[]");
                if (!(t.get("content") instanceof String c) || !(t.get("id") instanceof Long id)) {
                    throw TokenizerFormatException.in(file, "field 'added_tokens[]': expected id (integer) and content (string)");
                }
                added.put(c, id.intValue());
                if (Boolean.TRUE.equals(t.get("special"))) special.put(c, id.intValue());
            }
        }
        int size = 0;
        for (Object v : vocab.values()) {
            if (!(v instanceof Long id) || id < 0 || id > 10_000_000) throw TokenizerFormatException.in(file, "field 'model.vocab': ids must be integers in 0..10^7");
            size = (int) Math.max(size, id + 1);
        }
        for (int id : added.values()) size = Math.max(size, id + 1);
        String[] tokens = new String[size];
        for (var e : vocab.entrySet()) tokens[((Long) e.getValue()).intValue()] = e.getKey();
        for (var e : added.entrySet()) tokens[e.getValue()] = e.getKey();
        for (int i = 0; i < size; i++) if (tokens[i] == null) throw TokenizerFormatException.in(file, "field 'model.vocab': no token has id " + i);
        Map<String, Integer> ranks = new HashMap<>();
        if (model.get("merges") instanceof List<?> merges) {
            for (int i = 0; i < merges.size(); i++) {
                Object m = merges.get(i);
                String pair = m instanceof String s ? s : m instanceof List<?> l && l.size() == 2 ? l.get(0) + " " + l.get(1) : null;
                if (pair == null || pair.indexOf(' ') < 0) throw TokenizerFormatException.in(file, "field 'model.merges[" + i + "]': expected \"left right\"");
                int sp = pair.indexOf(' ');
                String a = pair.substring(0, sp), b = pair.substring(sp + 1);
                if (!vocab.containsKey(a) || !vocab.containsKey(b)) {
                    throw TokenizerFormatException.in(file, "field 'model.merges[" + i + "]' = \"" + pair + "\": names a token not in the vocabulary");
                }
                ranks.putIfAbsent(pair, i);
            }
        } else {
            throw TokenizerFormatException.in(file, "field 'model.merges': expected a list");
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        boolean byteFallback = Boolean.TRUE.equals(model.get("byte_fallback"));
        boolean byteLevel = text.contains("\"ByteLevel\"");
        int bos = firstId(added, "<s>", "<|begin_of_text|>", "<|endoftext|>");
        int eos = firstId(added, "</s>", "<|end_of_text|>", "<|eot_id|>", "<|endoftext|>");
        if (byteFallback || (!byteLevel && text.contains("\u2581"))) {
            int unk = model.get("unk_token") instanceof String u && vocab.get(u) instanceof Long id ? id.intValue() : 0;
            boolean prefix = text.contains("\"Prepend\"") || text.contains("\"add_prefix_space\":true") || text.contains("\"prepend_scheme\":\"first\"")
                    || text.contains("\"prepend_scheme\":\"always\"");
            int[] control = added.values().stream().mapToInt(Integer::intValue).toArray();
            return new SentencePieceBpeTokenizer(tokens, null, ranks, "\u2581", prefix, bos, eos, unk, control, "tokenizer.json");
        }
        if (!byteLevel) throw TokenizerFormatException.in(file, "neither byte_fallback BPE (Llama 2 style) nor a ByteLevel pre-tokenizer (GPT-2 / Llama 3 style)");
        String pattern = ByteLevelBpeTokenizer.GPT2_PATTERN;
        if (json.get("pre_tokenizer") instanceof Map<?, ?> pre) {
            String found = findRegex(pre);
            if (found != null) pattern = found;
        }
        try {
            return new ByteLevelBpeTokenizer(tokens, ranks, pattern, special, bos, eos, "tokenizer.json");
        } catch (java.util.regex.PatternSyntaxException e) {
            throw TokenizerFormatException.in(file, "field 'pre_tokenizer' split pattern is not a valid regular expression: " + e.getDescription());
        }
    }

    private static int firstId(Map<String, Integer> added, String... names) {
        for (String n : names) if (added.containsKey(n)) return added.get(n);
        return -1;
    }

    /** The first Split pre-tokenizer's Regex pattern anywhere in the pre_tokenizer tree. */
    private static String findRegex(Object node) {
        if (node instanceof Map<?, ?> m) {
            if ("Split".equals(m.get("type")) && m.get("pattern") instanceof Map<?, ?> p && p.get("Regex") instanceof String r) return r;
            for (Object v : m.values()) { String r = findRegex(v); if (r != null) return r; }
        } else if (node instanceof List<?> l) {
            for (Object v : l) { String r = findRegex(v); if (r != null) return r; }
        }
        return null;
    }
}
