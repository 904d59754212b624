package io.piece4j.nn.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * BPE over pieces as Llama 2 uses it (SentencePiece's BPE model).
 *
 * <p>Encoding: every space becomes the marker ("▁" U+2581, or a plain space in llama2.c's tokenizer.bin),
 * one marker is put in front of non-empty text (the "dummy prefix", so "Hello" at the start is encoded
 * like " Hello" inside a sentence), and each character becomes its piece. A character missing from the
 * vocabulary becomes its UTF-8 bytes as byte pieces {@code <0x00>..<0xFF>} (byte fallback), or, in a
 * vocabulary without them, the unknown piece, one for a run of unknown characters. Then adjacent pieces
 * merge by {@link PairMerges} (by score or by merge rank).
 *
 * <p>Decoding: markers become spaces, byte pieces their byte, control pieces (BOS, EOS, padding) nothing,
 * the unknown piece U+FFFD; the space of the dummy prefix is removed from the first piece.
 */
public final class SentencePieceBpeTokenizer implements Tokenizer {
    /** U+2581, SentencePiece's stand-in for a space inside pieces. */
    public static final String MARKER = "\u2581";

    private final String[] pieces;                // (vocab) piece of each id
    private final boolean[] control;              // (vocab) decodes to nothing
    private final int[] byteOfId;                 // (vocab) 0..255 for a byte piece, else -1
    private final int[] idOfByte = new int[256];  // byte -> its byte piece, -1 when missing
    private final boolean byteFallback;           // all 256 byte pieces are present
    private final Map<Integer, Integer> idOfCodePoint = new HashMap<>(); // single-character pieces
    private final PairMerges merges;
    private final String marker;
    private final boolean dummyPrefix;
    private final boolean mergesStayInWords;      // no piece has a marker after another character
    private final int bos, eos, unk;
    private final String source;

    /**
     * @param pieces      piece of each id, spaces written as marker
     * @param control     per id: a control piece (BOS, EOS, padding, other specials), which never comes
     *                    from text and decodes to nothing
     * @param merges      the merge rules over ids
     * @param marker      what stands for a space inside pieces: {@link #MARKER} or " " (llama2.c)
     * @param dummyPrefix whether encode puts a marker in front of non-empty text
     * @param bos         BOS id, or -1 if the vocabulary has none
     * @param eos         EOS id, or -1
     * @param unk         the unknown piece's id, or -1
     * @param source      where the vocabulary came from, for {@link #describe()}
     */
    SentencePieceBpeTokenizer(String[] pieces, boolean[] control, PairMerges merges, String marker, boolean dummyPrefix,
                              int bos, int eos, int unk, String source) {
        this.pieces = pieces.clone();
        this.control = control.clone();
        this.merges = merges;
        this.marker = marker;
        this.dummyPrefix = dummyPrefix;
        this.bos = bos;
        this.eos = eos;
        this.unk = unk;
        this.source = source;
        this.byteOfId = new int[pieces.length];
        Arrays.fill(idOfByte, -1);
        for (int id = 0; id < pieces.length; id++) {
            byteOfId[id] = byteValue(pieces[id]);
            if (byteOfId[id] >= 0 && idOfByte[byteOfId[id]] < 0) idOfByte[byteOfId[id]] = id;
            boolean oneCodePoint = !pieces[id].isEmpty() && pieces[id].offsetByCodePoints(0, 1) == pieces[id].length();
            if (oneCodePoint && !control[id] && byteOfId[id] < 0 && id != unk) idOfCodePoint.putIfAbsent(pieces[id].codePointAt(0), id);
        }
        this.byteFallback = Arrays.stream(idOfByte).allMatch(id -> id >= 0);
        boolean markerInside = false;
        for (int id = 0; id < pieces.length && !markerInside; id++) {
            String p = pieces[id];
            if (control[id]) continue;
            for (int at = p.indexOf(marker, 1); at > 0 && !markerInside; at = p.indexOf(marker, at + 1)) {
                markerInside = !p.startsWith(marker, at - marker.length());
            }
        }
        this.mergesStayInWords = !markerInside;
    }

    /** 0..255 for a byte piece "&lt;0xHH&gt;" (two upper- or lower-case hex digits), else -1. */
    static int byteValue(String piece) {
        if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') return -1;
        int hi = Character.digit(piece.charAt(3), 16), lo = Character.digit(piece.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        String s = text.replace(" ", marker);
        if (dummyPrefix && !text.isEmpty()) s = marker + s;
        int[] sym = new int[s.length() * 3]; // (symbols) at most 3 per char: 3 UTF-8 bytes, or 4 for a surrogate pair
        int[] wordEnd = new int[s.length() + 1]; // (words) where each word's symbols end
        int words = 0, n = 0;
        boolean previousUnknown = false, previousMarker = true;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean isMarker = s.startsWith(marker, i);
            i += Character.charCount(cp);
            // A marker after another character starts a word. When no piece has a marker inside, no merge
            // crosses that point, and merging word by word keeps each priority queue small.
            if (mergesStayInWords && isMarker && !previousMarker) wordEnd[words++] = n;
            previousMarker = isMarker;
            Integer id = idOfCodePoint.get(cp);
            if (id != null) {
                sym[n++] = id;
                previousUnknown = false;
            } else if (byteFallback) {
                for (byte b : Character.toString(cp).getBytes(StandardCharsets.UTF_8)) sym[n++] = idOfByte[b & 0xFF];
            } else {
                if (unk < 0) throw new IllegalArgumentException("character U+" + Integer.toHexString(cp).toUpperCase()
                        + " is not in the vocabulary, which has neither byte pieces nor an unknown piece");
                if (!previousUnknown) sym[n++] = unk;
                previousUnknown = true;
            }
        }
        wordEnd[words++] = n;
        int merged = 0; // symbols after merging, compacted to the front
        for (int w = 0, from = 0; w < words; from = wordEnd[w++]) {
            int m = merges.apply(sym, from, wordEnd[w]);
            System.arraycopy(sym, from, sym, merged, m);
            merged += m;
        }
        n = merged;
        int[] out = new int[n + (addBos ? 1 : 0) + (addEos ? 1 : 0)];
        int o = 0;
        if (addBos) out[o++] = special(bos, "BOS");
        System.arraycopy(sym, 0, out, o, n);
        if (addEos) out[o + n] = special(eos, "EOS");
        return out;
    }

    private int special(int id, String name) {
        if (id < 0) throw new IllegalStateException(describe() + " has no " + name + " token");
        return id;
    }

    /** The UTF-8 bytes of one piece, markers as spaces. */
    private byte[] pieceBytes(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + pieces.length + " pieces");
        }
        if (control[id]) return new byte[0];
        if (byteOfId[id] >= 0) return new byte[] {(byte) byteOfId[id]};
        if (id == unk) return "\uFFFD".getBytes(StandardCharsets.UTF_8);
        return pieces[id].replace(marker, " ").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean first = true;
        for (int id : ids) {
            byte[] b = pieceBytes(id);
            if (b.length == 0) continue;
            int from = first && dummyPrefix && b[0] == ' ' ? 1 : 0; // the space encode put in front
            out.write(b, from, b.length - from);
            first = false;
        }
        return new String(out.toByteArray(), StandardCharsets.UTF_8);
    }

    /** As llama2.c prints a stream: the first piece after BOS loses the space of the dummy prefix. */
    @Override
    public byte[] tokenBytes(int previous, int id) {
        byte[] b = pieceBytes(id);
        if (dummyPrefix && previous == bos && bos >= 0 && b.length > 0 && b[0] == ' ') return Arrays.copyOfRange(b, 1, b.length);
        return b;
    }

    /** The piece of an id as the vocabulary writes it (spaces as the marker). */
    public String piece(int id) {
        pieceBytes(id); // range check
        return pieces[id];
    }

    @Override public int bosId() { return bos; }
    @Override public int eosId() { return eos; }
    @Override public int vocabSize() { return pieces.length; }

    @Override
    public String describe() {
        return "SentencePiece BPE from " + source + " (" + pieces.length + " pieces, " + merges.size() + " merge rules"
                + (byteFallback ? ", byte fallback" : "") + ")";
    }
}
