package io.piece4j.nn.tokenizer;

import io.piece4j.nn.format.GgufKeyValue;
import io.piece4j.nn.format.GgufTokenizer;
import io.piece4j.nn.format.GgufVocabulary;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a Hugging Face tokenizer.json with a BPE model, of one of two kinds:
 * <ul>
 *   <li>Llama 2's (SentencePiece BPE): spaces become "▁" through a normalizer (Replace " " -> "▁", with
 *       Prepend "▁" for the dummy prefix) or a Metaspace pre-tokenizer, and usually byte_fallback;</li>
 *   <li>GPT-2's and Llama 3's (byte-level BPE): a ByteLevel pre-tokenizer, with the word-splitting regex
 *       of a Split pre-tokenizer before it (Llama 3) or GPT-2's own (ByteLevel with use_regex).</li>
 * </ul>
 * Merges are ranked by their position in model.merges, as "left right" strings or [left, right] pairs.
 * BOS and EOS are the special tokens around the sequence in a TemplateProcessing post-processor, else the
 * usual names ({@code <s>}, {@code <|begin_of_text|>}, ...). Added tokens are found in the text only for the
 * byte-level kind; the Llama 2 kind spells "&lt;s&gt;" in text out as characters, as SentencePiece and
 * llama2.c do.
 */
final class HuggingFaceTokenizerJson {
    private static final String[] BOS_NAMES = {"<s>", "<|begin_of_text|>", "<|endoftext|>"};
    private static final String[] EOS_NAMES = {"</s>", "<|end_of_text|>", "<|endoftext|>"};

    private final JsonValues json;
    private String[] tokens;                          // (vocab) model.vocab and added_tokens by id
    private Map<String, Integer> modelIds;            // model.vocab
    private final Map<String, Integer> added = new LinkedHashMap<>(); // added_tokens content -> id
    private boolean[] special;                        // (vocab) added tokens marked special
    // what the GGUF form needs besides the tokenizer itself, set by read
    private final List<String> mergeList = new ArrayList<>(); // "left right" in rank order
    private int[] firstMergeRank;                     // (vocab) rank of the first merge making the token, or -1
    private String splitPattern;                      // byte-level kind: the word-splitting regex; null for the Llama 2 kind
    private int unknownId = -1;                       // Llama 2 kind: model.unk_token's id
    private boolean dummyPrefix;                      // Llama 2 kind: a "▁" is put in front of the text
    private boolean bosFromTemplate;                  // the post-processor puts a special token before the text

    private HuggingFaceTokenizerJson(Path file) { this.json = new JsonValues(file); }

    static Tokenizer read(byte[] bytes, Path file) throws TokenizerFormatException {
        return new HuggingFaceTokenizerJson(file).read(bytes);
    }

    /**
     * The vocabulary as GGUF embeds it. The Llama 2 kind becomes model "llama" (SentencePiece BPE, which merges
     * by score): a token made by merge rank r scores -r, so the merge with the best score is the one of lowest
     * rank; tokens no merge makes score below them all, byte and special tokens 0 as in SentencePiece's own
     * models. The byte-level kind becomes model "gpt2" with the merge list and llama.cpp's name for the split
     * pattern in tokenizer.ggml.pre ("gpt-2" or "llama-bpe"; another pattern has no GGUF name and is refused).
     */
    static GgufTokenizer ggufForm(byte[] bytes, Path file) throws TokenizerFormatException {
        HuggingFaceTokenizerJson h = new HuggingFaceTokenizerJson(file);
        Tokenizer tokenizer = h.read(bytes);
        return h.ggufForm(tokenizer);
    }

    private GgufTokenizer ggufForm(Tokenizer tokenizer) throws TokenizerFormatException {
        int n = tokens.length;
        int[] types = new int[n];
        List<GgufKeyValue> keys = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            boolean isAdded = Integer.valueOf(id).equals(added.get(tokens[id]));
            types[id] = special[id] ? Tokenizers.CONTROL : isAdded ? Tokenizers.USER_DEFINED : Tokenizers.NORMAL;
        }
        GgufVocabulary vocabulary;
        if (splitPattern == null) {
            float[] scores = new float[n];
            for (int id = 0; id < n; id++) {
                if (SentencePieceBpeTokenizer.byteValue(tokens[id]) >= 0 && !special[id]) types[id] = Tokenizers.BYTE;
                if (id == unknownId) types[id] = Tokenizers.UNKNOWN;
                boolean ordinary = types[id] == Tokenizers.NORMAL || types[id] == Tokenizers.USER_DEFINED;
                scores[id] = !ordinary ? 0f : firstMergeRank[id] >= 0 ? -firstMergeRank[id] : -(float) mergeList.size() - 1;
            }
            vocabulary = new GgufVocabulary("llama", tokens, scores, types, null, tokenizer.bosId(), tokenizer.eosId());
            if (unknownId >= 0) keys.add(GgufKeyValue.u32("tokenizer.ggml.unknown_token_id", unknownId));
            keys.add(GgufKeyValue.bool("tokenizer.ggml.add_space_prefix", dummyPrefix));
        } else {
            String pre = splitPattern.equals(ByteLevelBpeTokenizer.LLAMA3_PATTERN) ? "llama-bpe"
                    : splitPattern.equals(ByteLevelBpeTokenizer.GPT2_PATTERN) ? "gpt-2" : null;
            boolean llama3Tokens = added.containsKey("<|begin_of_text|>");
            if (pre == null || pre.equals("llama-bpe") != llama3Tokens) {
                throw json.error("pre_tokenizer", "the split pattern " + (pre == null ? "is neither GPT-2's nor Llama 3's" : "is " + pre
                        + "'s but <|begin_of_text|> is " + (llama3Tokens ? "" : "not ") + "a token") + ": GGUF cannot say which pattern to use");
            }
            vocabulary = new GgufVocabulary("gpt2", tokens, null, types, mergeList.toArray(String[]::new), tokenizer.bosId(), tokenizer.eosId());
            keys.add(GgufKeyValue.string("tokenizer.ggml.pre", pre));
        }
        keys.add(GgufKeyValue.bool("tokenizer.ggml.add_bos_token", bosFromTemplate));
        keys.add(GgufKeyValue.bool("tokenizer.ggml.add_eos_token", false));
        return new GgufTokenizer(vocabulary, keys);
    }

    private Tokenizer read(byte[] bytes) throws TokenizerFormatException {
        Map<String, Object> root = json.object(json.parse(bytes), "(root)");
        Map<String, Object> model = json.object(root.get("model"), "model");
        String type = json.string(model.get("type"), "model.type");
        if (!type.equals("BPE")) throw json.error("model.type", "'" + type + "': only BPE models are supported");
        readVocabulary(json.object(model.get("vocab"), "model.vocab"), root.get("added_tokens"));
        PairMerges merges = readMerges(json.list(model.get("merges"), "model.merges"));

        Object normalizer = root.get("normalizer"), preTokenizer = root.get("pre_tokenizer"), decoder = root.get("decoder");
        int bos = specialAround(root.get("post_processor"), true, BOS_NAMES);
        int eos = specialAround(root.get("post_processor"), false, EOS_NAMES);
        bosFromTemplate = specialAround(root.get("post_processor"), true, new String[0]) >= 0;
        boolean byteLevel = !JsonValues.ofType(preTokenizer, "ByteLevel").isEmpty() || !JsonValues.ofType(decoder, "ByteLevel").isEmpty();
        if (byteLevel) return byteLevel(model, preTokenizer, merges, bos, eos);
        List<Map<?, ?>> metaspace = JsonValues.ofType(preTokenizer, "Metaspace");
        boolean replacesSpaces = JsonValues.ofType(normalizer, "Replace").stream()
                .anyMatch(r -> SentencePieceBpeTokenizer.MARKER.equals(r.get("content")));
        if (replacesSpaces || !metaspace.isEmpty()) return sentencePiece(model, normalizer, metaspace, merges, bos, eos);
        throw json.error("pre_tokenizer", "neither a ByteLevel pre-tokenizer (GPT-2 / Llama 3) nor spaces made \"\u2581\""
                + " by a Replace normalizer or a Metaspace pre-tokenizer (Llama 2)");
    }

    /** Ids come from model.vocab and added_tokens and must cover 0..n-1 with no gap and no conflict. */
    private void readVocabulary(Map<String, Object> vocab, Object addedTokens) throws TokenizerFormatException {
        List<Object> addedList = addedTokens == null ? List.of() : json.list(addedTokens, "added_tokens");
        long limit = (long) vocab.size() + addedList.size(); // more ids than entries would leave a gap
        if (limit > Integer.MAX_VALUE - 8) throw json.error("model.vocab", limit + " entries is more than an array holds");
        String[] byId = new String[(int) limit];
        modelIds = new LinkedHashMap<>();
        int size = 0;
        for (Map.Entry<String, Object> e : vocab.entrySet()) {
            int id = id(e.getValue(), "model.vocab[\"" + e.getKey() + "\"]", limit);
            if (byId[id] != null) throw json.error("model.vocab", "id " + id + " is given to both '" + byId[id] + "' and '" + e.getKey() + "'");
            byId[id] = e.getKey();
            modelIds.put(e.getKey(), id);
            size = Math.max(size, id + 1);
        }
        boolean[] isSpecial = new boolean[(int) limit];
        for (int i = 0; i < addedList.size(); i++) {
            String where = "added_tokens[" + i + "]";
            Map<String, Object> t = json.object(addedList.get(i), where);
            String content = json.string(t.get("content"), where + ".content");
            int id = id(t.get("id"), where + ".id", limit);
            if (byId[id] != null && !byId[id].equals(content)) {
                throw json.error(where + ".id", "id " + id + " is '" + byId[id] + "' in the vocabulary but '" + content + "' here");
            }
            byId[id] = content;
            added.put(content, id);
            isSpecial[id] = json.flag(t.get("special"), where + ".special", false);
            size = Math.max(size, id + 1);
        }
        for (int id = 0; id < size; id++) if (byId[id] == null) throw json.error("model.vocab", "no token has id " + id + " (ids must run 0.." + (size - 1) + ")");
        if (size == 0) throw json.error("model.vocab", "empty");
        tokens = java.util.Arrays.copyOf(byId, size);
        special = java.util.Arrays.copyOf(isSpecial, size);
    }

    /** An id of one of limit tokens: one past them would leave an id with no token. */
    private int id(Object value, String field, long limit) throws TokenizerFormatException {
        int id = json.index(value, field, Integer.MAX_VALUE);
        if (id >= limit) {
            throw json.error(field, "id " + id + " leaves a gap: the " + limit + " entries of model.vocab and added_tokens"
                    + " must number the ids 0.." + (limit - 1));
        }
        return id;
    }

    /** Rank i for merges[i]; both parts and their concatenation must be in model.vocab. */
    private PairMerges readMerges(List<Object> list) throws TokenizerFormatException {
        PairMerges merges = new PairMerges();
        firstMergeRank = new int[tokens.length];
        java.util.Arrays.fill(firstMergeRank, -1);
        for (int i = 0; i < list.size(); i++) {
            String where = "model.merges[" + i + "]";
            String left, right;
            if (list.get(i) instanceof List<?> pair) {
                if (pair.size() != 2) throw json.error(where, "expected a pair [left, right], found " + pair.size() + " entries");
                left = json.string(pair.get(0), where + "[0]");
                right = json.string(pair.get(1), where + "[1]");
            } else {
                String s = json.string(list.get(i), where);
                int space = s.indexOf(' ');
                if (space < 0 || s.indexOf(' ', space + 1) >= 0) throw json.error(where, "'" + s + "': expected \"left right\" with one space");
                left = s.substring(0, space);
                right = s.substring(space + 1);
            }
            Integer l = modelIds.get(left), r = modelIds.get(right), m = modelIds.get(left + right);
            if (l == null || r == null) {
                throw json.error(where, "'" + (l == null ? left : right) + "' is not a token of model.vocab");
            }
            if (m == null) throw json.error(where, "the merged token '" + left + right + "' is not in model.vocab");
            merges.add(l, r, m, i);
            mergeList.add(left + " " + right);
            if (firstMergeRank[m] < 0) firstMergeRank[m] = i;
        }
        return merges;
    }

    private Tokenizer sentencePiece(Map<String, Object> model, Object normalizer, List<Map<?, ?>> metaspace, PairMerges merges,
                                    int bos, int eos) throws TokenizerFormatException {
        int unk = -1;
        if (model.get("unk_token") != null) {
            String name = json.string(model.get("unk_token"), "model.unk_token");
            Integer id = modelIds.get(name);
            if (id == null) throw json.error("model.unk_token", "'" + name + "' is not a token of model.vocab");
            unk = id;
        }
        boolean dummyPrefix = JsonValues.ofType(normalizer, "Prepend").stream().anyMatch(p -> SentencePieceBpeTokenizer.MARKER.equals(p.get("prepend")));
        for (Map<?, ?> m : metaspace) {
            if (!SentencePieceBpeTokenizer.MARKER.equals(m.get("replacement"))) {
                throw json.error("pre_tokenizer", "Metaspace replacement " + m.get("replacement") + ": only \"\u2581\" is supported");
            }
            Object scheme = m.get("prepend_scheme");
            dummyPrefix |= Boolean.TRUE.equals(m.get("add_prefix_space")) || "always".equals(scheme) || "first".equals(scheme);
        }
        boolean[] control = special.clone();
        if (unk >= 0) control[unk] = false; // decodes to U+FFFD, not to nothing
        this.unknownId = unk;
        this.dummyPrefix = dummyPrefix;
        return new SentencePieceBpeTokenizer(tokens, control, merges, SentencePieceBpeTokenizer.MARKER, dummyPrefix, bos, eos, unk,
                json.name());
    }

    private Tokenizer byteLevel(Map<String, Object> model, Object preTokenizer, PairMerges merges, int bos, int eos)
            throws TokenizerFormatException {
        String pattern = null;
        for (Map<?, ?> split : JsonValues.ofType(preTokenizer, "Split")) {
            if (pattern != null) throw json.error("pre_tokenizer", "more than one Split pre-tokenizer is not supported");
            if (!"Isolated".equals(split.get("behavior")) || Boolean.TRUE.equals(split.get("invert"))) {
                throw json.error("pre_tokenizer", "Split with behavior " + split.get("behavior") + ", invert " + split.get("invert")
                        + ": only Isolated, not inverted, is supported");
            }
            Map<String, Object> p = json.object(split.get("pattern"), "pre_tokenizer Split.pattern");
            if (p.get("Regex") != null) pattern = json.string(p.get("Regex"), "pre_tokenizer Split.pattern.Regex");
            else pattern = Pattern.quote(json.string(p.get("String"), "pre_tokenizer Split.pattern.String"));
        }
        for (Map<?, ?> b : JsonValues.ofType(preTokenizer, "ByteLevel")) {
            if (Boolean.TRUE.equals(b.get("add_prefix_space"))) {
                throw json.error("pre_tokenizer", "ByteLevel add_prefix_space=true is not supported (GPT-2 and Llama 3 use false)");
            }
            if (!Boolean.FALSE.equals(b.get("use_regex"))) { // absent means true: GPT-2's pattern
                if (pattern != null) throw json.error("pre_tokenizer", "a Split pattern followed by ByteLevel use_regex=true is not supported");
                pattern = ByteLevelBpeTokenizer.GPT2_PATTERN;
            }
        }
        if (pattern == null) pattern = "(?s).+"; // no splitting: the text is one word
        this.splitPattern = pattern;
        boolean ignoreMerges = json.flag(model.get("ignore_merges"), "model.ignore_merges", false);
        try {
            return new ByteLevelBpeTokenizer(tokens, merges, pattern, ignoreMerges, added, special, bos, eos, json.name());
        } catch (PatternSyntaxException e) {
            throw json.error("pre_tokenizer", "the Split pattern is not a regular expression Java reads: " + e.getDescription());
        } catch (IllegalArgumentException e) {
            throw json.error("model.vocab", e.getMessage());
        }
    }

    /**
     * The id of the special token before (bos) or after the sequence in the post-processor's template for a
     * single sequence, else the first of names that is a token, else -1.
     */
    private int specialAround(Object postProcessor, boolean before, String[] names) {
        for (Map<?, ?> template : JsonValues.ofType(postProcessor, "TemplateProcessing")) {
            if (!(template.get("single") instanceof List<?> single)) continue;
            boolean seenSequence = false;
            for (Object piece : single) {
                if (!(piece instanceof Map<?, ?> m)) continue;
                if (m.containsKey("Sequence")) seenSequence = true;
                if (seenSequence != before && m.get("SpecialToken") instanceof Map<?, ?> st && st.get("id") instanceof String name) {
                    Integer id = idOf(name);
                    if (id != null) return id;
                }
            }
        }
        for (String name : names) {
            Integer id = idOf(name);
            if (id != null) return id;
        }
        return -1;
    }

    private Integer idOf(String token) {
        Integer id = added.get(token);
        return id != null ? id : modelIds.get(token);
    }
}
