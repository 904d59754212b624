package io.piece4j.nn.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE as GPT-2 and Llama 3 use it.
 *
 * <p>Encoding: added tokens (such as {@code <|begin_of_text|>}) are found first, longest match at each
 * position, and become their ids; the text between them is split into words by a regular expression
 * (GPT-2's or Llama 3's pattern, or the one a tokenizer.json gives); each word's UTF-8 bytes start as
 * single-byte tokens and merge by rank ({@link PairMerges}). With {@code ignoreMerges} (Llama 3, and
 * tiktoken always) a word that is itself a token is taken whole.
 *
 * <p>Decoding: tokens are written in GPT-2's byte alphabet ({@link ByteLevelAlphabet}) and become their
 * bytes; special tokens decode to nothing, other added tokens to their text.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
    /** GPT-2's split pattern. */
    public static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    /** Llama 3's split pattern (also cl100k's): case-insensitive contractions, digits in runs of at most three. */
    public static final String LLAMA3_PATTERN =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private final String[] tokens;             // (vocab) token strings, in the byte alphabet except added tokens
    private final byte[][] bytesOfId;          // (vocab) what each token decodes to; empty for special tokens
    private final Map<String, Integer> idOf = new HashMap<>();
    private final int[] idOfByte = new int[256];
    private final PairMerges merges;
    private final Pattern split;
    private final boolean ignoreMerges;
    private final Map<Character, List<String>> addedByFirstChar = new HashMap<>(); // longest first
    private final Map<String, Integer> addedIds;
    private final int bos, eos;
    private final String source;

    /**
     * @param tokens       token of each id; ordinary tokens in the byte alphabet, covering all 256 bytes
     * @param merges       the merge rules over ids
     * @param splitPattern the regex words are cut by (Java syntax; \s is taken as Unicode white space)
     * @param ignoreMerges take a word that is a token whole, before merging
     * @param added        added tokens (content -> id), matched in the text before splitting
     * @param special      per id: decodes to nothing (BOS, EOS and other special added tokens)
     * @param bos          BOS id, or -1 if there is none
     * @param eos          EOS id, or -1
     * @param source       where the vocabulary came from, for {@link #describe()}
     * @throws IllegalArgumentException if an ordinary token is not in the byte alphabet or a byte has no token
     */
    ByteLevelBpeTokenizer(String[] tokens, PairMerges merges, String splitPattern, boolean ignoreMerges,
                          Map<String, Integer> added, boolean[] special, int bos, int eos, String source) {
        this.tokens = tokens.clone();
        this.merges = merges;
        // Rust's and Python's regex engines, which these patterns were written for, read \s as Unicode white space
        this.split = Pattern.compile(splitPattern, Pattern.UNICODE_CHARACTER_CLASS);
        this.ignoreMerges = ignoreMerges;
        this.addedIds = Map.copyOf(added);
        this.bos = bos;
        this.eos = eos;
        this.source = source;
        this.bytesOfId = new byte[tokens.length][];
        Arrays.fill(idOfByte, -1);
        for (int id = 0; id < tokens.length; id++) {
            String t = tokens[id];
            if (special[id]) {
                bytesOfId[id] = new byte[0];
            } else if (added.containsKey(t) && added.get(t) == id) {
                bytesOfId[id] = t.getBytes(StandardCharsets.UTF_8);
            } else {
                bytesOfId[id] = ByteLevelAlphabet.decode(t);
                if (bytesOfId[id] == null || t.isEmpty()) {
                    throw new IllegalArgumentException("token " + id + " '" + t + "' is not written in the byte-level alphabet");
                }
                idOf.putIfAbsent(t, id);
                if (t.length() == 1 && idOfByte[bytesOfId[id][0] & 0xFF] < 0) idOfByte[bytesOfId[id][0] & 0xFF] = id;
            }
        }
        for (int b = 0; b < 256; b++) {
            if (idOfByte[b] < 0) throw new IllegalArgumentException("byte 0x" + Integer.toHexString(b) + " (" + ByteLevelAlphabet.charOf(b) + ") has no token");
        }
        for (String content : added.keySet()) {
            if (!content.isEmpty()) addedByFirstChar.computeIfAbsent(content.charAt(0), c -> new ArrayList<>()).add(content);
        }
        for (List<String> l : addedByFirstChar.values()) l.sort((a, b) -> b.length() - a.length());
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        IntList out = new IntList();
        if (addBos) out.add(special(bos, "BOS"));
        int start = 0; // start of the ordinary text not yet encoded
        for (int i = 0; i < text.length(); i++) {
            List<String> candidates = addedByFirstChar.get(text.charAt(i));
            if (candidates == null) continue;
            for (String c : candidates) {
                if (text.startsWith(c, i)) {
                    encodeOrdinary(text.substring(start, i), out);
                    out.add(addedIds.get(c));
                    i += c.length() - 1;
                    start = i + 1;
                    break;
                }
            }
        }
        encodeOrdinary(text.substring(start), out);
        if (addEos) out.add(special(eos, "EOS"));
        return out.toArray();
    }

    private void encodeOrdinary(String text, IntList out) {
        Matcher m = split.matcher(text);
        while (m.find()) {
            byte[] bytes = m.group().getBytes(StandardCharsets.UTF_8);
            if (ignoreMerges) {
                Integer whole = idOf.get(ByteLevelAlphabet.encode(bytes));
                if (whole != null) {
                    out.add(whole);
                    continue;
                }
            }
            int[] sym = new int[bytes.length]; // (bytes of the word) token ids, merged in place
            for (int i = 0; i < bytes.length; i++) sym[i] = idOfByte[bytes[i] & 0xFF];
            int n = merges.apply(sym, 0, sym.length);
            for (int i = 0; i < n; i++) out.add(sym[i]);
        }
    }

    private int special(int id, String name) {
        if (id < 0) throw new IllegalStateException(describe() + " has no " + name + " token");
        return id;
    }

    private byte[] bytesOf(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + tokens.length + " tokens");
        }
        return bytesOfId[id];
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) out.writeBytes(bytesOf(id));
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int previous, int id) { return bytesOf(id).clone(); }

    /** The token of an id as the vocabulary writes it. */
    public String token(int id) {
        bytesOf(id); // range check
        return tokens[id];
    }

    @Override public int bosId() { return bos; }
    @Override public int eosId() { return eos; }
    @Override public int vocabSize() { return tokens.length; }

    @Override
    public String describe() {
        return "byte-level BPE from " + source + " (" + tokens.length + " tokens, " + merges.size() + " merge rules, "
                + addedIds.size() + " added tokens)";
    }

    /** A growable int array, so long texts do not box every id. */
    private static final class IntList {
        private int[] a = new int[16];
        private int n;

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
