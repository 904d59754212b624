package io.piece4j.nn.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE as GPT-2 and Llama 3 use it: special tokens are matched first; the rest is split by a
 * regular expression into words; each word's UTF-8 bytes are written as printable characters (GPT-2's
 * byte-to-unicode table) and merged by rank, lowest first, while the pair is in the merge list.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
    /** GPT-2's split pattern. */
    public static final String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private final String[] tokens;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Integer> ranks;
    private final Pattern split;
    private final Pattern specials;        // null when there are none
    private final Map<String, Integer> specialIds;
    private final boolean[] isSpecial;
    private final int bos, eos;
    private final String kind;

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final Map<Character, Integer> CHAR_TO_BYTE = new HashMap<>();

    static {
        // printable bytes map to themselves; the others to code points from 256 upwards, in byte order
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE.put(c, b);
        }
    }

    public ByteLevelBpeTokenizer(String[] tokens, Map<String, Integer> ranks, String splitPattern, Map<String, Integer> specialTokens,
                                 int bos, int eos, String kind) {
        this.tokens = tokens.clone();
        for (int i = 0; i < tokens.length; i++) ids.putIfAbsent(tokens[i], i);
        this.ranks = ranks;
        this.split = Pattern.compile(splitPattern);
        this.specialIds = Map.copyOf(specialTokens);
        this.isSpecial = new boolean[tokens.length];
        for (int id : specialTokens.values()) if (id >= 0 && id < tokens.length) isSpecial[id] = true;
        if (specialTokens.isEmpty()) {
            this.specials = null;
        } else {
            List<String> sorted = new ArrayList<>(specialTokens.keySet());
            sorted.sort((a, b) -> b.length() - a.length()); // longest first
            this.specials = Pattern.compile(String.join("|", sorted.stream().map(Pattern::quote).toList()));
        }
        this.bos = bos;
        this.eos = eos;
        this.kind = kind;
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        List<Integer> out = new ArrayList<>();
        if (addBos) out.add(bos);
        int pos = 0;
        if (specials != null) {
            Matcher m = specials.matcher(text);
            while (m.find()) {
                encodeOrdinary(text.substring(pos, m.start()), out);
                out.add(specialIds.get(m.group()));
                pos = m.end();
            }
        }
        encodeOrdinary(text.substring(pos), out);
        if (addEos) out.add(eos);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeOrdinary(String text, List<Integer> out) {
        Matcher m = split.matcher(text);
        while (m.find()) {
            byte[] bytes = m.group().getBytes(StandardCharsets.UTF_8);
            String[] sym = new String[bytes.length];
            for (int i = 0; i < bytes.length; i++) sym[i] = String.valueOf(BYTE_TO_CHAR[bytes[i] & 0xFF]);
            for (String piece : merge(sym)) {
                Integer id = ids.get(piece);
                if (id == null) throw new IllegalStateException("byte-level piece '" + piece + "' is not in the vocabulary");
                out.add(id);
            }
        }
    }

    private record Pair(int left, String a, String b, int rank) {}

    /** Merges the symbols of one word by rank, lowest first, leftmost on ties. */
    private List<String> merge(String[] sym) {
        int n = sym.length;
        int[] next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
        PriorityQueue<Pair> queue = new PriorityQueue<>((x, y) -> x.rank != y.rank ? Integer.compare(x.rank, y.rank) : Integer.compare(x.left, y.left));
        for (int i = 0; i + 1 < n; i++) offer(queue, sym, i, i + 1);
        boolean[] dead = new boolean[n];
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            int l = p.left, r = next[l];
            if (dead[l] || r < 0 || !sym[l].equals(p.a) || !sym[r].equals(p.b)) continue;
            sym[l] = p.a + p.b;
            dead[r] = true;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) offer(queue, sym, prev[l], l);
            if (next[l] >= 0) offer(queue, sym, l, next[l]);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i >= 0 && i < n; i = next[i]) out.add(sym[i]);
        return out;
    }

    private void offer(PriorityQueue<Pair> queue, String[] sym, int l, int r) {
        Integer rank = ranks.get(sym[l] + " " + sym[r]);
        if (rank != null) queue.add(new Pair(l, sym[l], sym[r], rank));
    }

    private byte[] bytesOf(int id) {
        if (id < 0 || id >= tokens.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + tokens.length);
        if (isSpecial[id]) return new byte[0];
        String t = tokens[id];
        byte[] b = new byte[t.length()];
        for (int i = 0; i < t.length(); i++) {
            Integer v = CHAR_TO_BYTE.get(t.charAt(i));
            b[i] = (byte) (v == null ? '?' : v);
        }
        return b;
    }

    @Override
    public String decode(int[] idsToDecode) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : idsToDecode) out.writeBytes(bytesOf(id));
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int previous, int id) { return bytesOf(id); }

    @Override public int bosId() { return bos; }
    @Override public int eosId() { return eos; }
    @Override public int vocabSize() { return tokens.length; }
    @Override public String describe() { return kind + " (byte-level BPE, " + tokens.length + " tokens)"; }

    /** The GPT-2 byte-to-character table, for tests and converters. */
    public static char byteChar(int b) { return BYTE_TO_CHAR[b & 0xFF]; }
}
