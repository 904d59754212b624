package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;
import io.piece4j.nn.LlamaConfig.RopeScaling;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a GGUF file of architecture {@code llama}: config from the llama.* keys, tensors (F32, F16, BF16, Q8_0,
 * Q4_0) under canonical names, and the tokenizer.ggml.* vocabulary. GGUF stores wq and wk rows INTERLEAVED, as
 * llama.cpp's converter permutes them; they are reported as stored.
 */
public final class GgufReader {
    /** Our own keys for Llama 3 RoPE scaling; llama.cpp instead reads the divisors of rope_freqs.weight. */
    static final String SCALING_FACTOR = "piece4j.rope_scaling.factor";
    static final String SCALING_LOW = "piece4j.rope_scaling.low_freq_factor";
    static final String SCALING_HIGH = "piece4j.rope_scaling.high_freq_factor";
    static final String SCALING_ORIGINAL = "piece4j.rope_scaling.original_max_position_embeddings";
    static final String ROPE_FREQS = "rope_freqs.weight";

    private GgufReader() {}

    public static Checkpoint read(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment segment = FileMapping.map(file, arena);
            GgufFile gguf = GgufFile.parse(segment, file);
            Keys keys = new Keys(gguf.metadata, file);
            String arch = keys.string("general.architecture");
            if (arch == null) throw CheckpointFormatException.in(file, "metadata 'general.architecture' is missing: expected \"llama\"");
            if (!arch.equals("llama")) throw keys.error("general.architecture", "\"llama\"");

            Map<String, GgufFile.TensorInfo> byName = new HashMap<>();
            for (GgufFile.TensorInfo t : gguf.tensors) byName.put(t.name(), t);
            GgufVocabulary vocabulary = vocabulary(keys);
            LlamaConfig config = config(keys, gguf, byName, vocabulary, file);

            CanonicalTensors tensors = new CanonicalTensors(file);
            for (GgufFile.TensorInfo t : gguf.tensors) {
                if (t.name().equals(ROPE_FREQS)) continue;
                String canonical = TensorNames.fromGguf(t.name());
                if (canonical == null) {
                    throw CheckpointFormatException.in(file, "tensor '" + t.name() + "' is not a parameter of a Llama model:"
                            + " expected GGUF llama names such as blk.0.attn_q.weight");
                }
                ElementType type = supportedType(t, file);
                MemorySegment bytes = gguf.bytes(t);
                tensors.add(canonical, t.name(), t.shape(), type,
                        (first, count, dst, off) -> ElementCodec.decode(type, bytes, first, count, dst, off), bytes);
            }
            List<CheckpointTensor> ordered = tensors.inOrderOf(config, TensorNames::toGguf);

            Map<String, Object> metadata = new LinkedHashMap<>(gguf.metadata);
            metadata.put("gguf.version", (long) gguf.version);
            return new Checkpoint("gguf", file, config, ordered, metadata, vocabulary, gguf.keyValues, List.of(arena));
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The tokenizer a GGUF file embeds (its tokenizer.* keys), whatever else the file holds: a model of any
     * architecture, or a vocabulary-only file such as llama.cpp's ggml-vocab-*.gguf.
     */
    public static GgufTokenizer readTokenizer(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            GgufFile gguf = GgufFile.parse(FileMapping.map(file, arena), file);
            GgufVocabulary vocabulary = vocabulary(new Keys(gguf.metadata, file));
            if (vocabulary == null) {
                throw CheckpointFormatException.in(file, "metadata 'tokenizer.ggml.tokens' is missing: expected a GGUF file with a vocabulary");
            }
            return GgufTokenizer.withKeysOf(vocabulary, gguf.keyValues);
        }
    }

    private static ElementType supportedType(GgufFile.TensorInfo t, Path file) throws CheckpointFormatException {
        ElementType type = GgufFile.elementType(t.type());
        if (type == null) {
            throw CheckpointFormatException.in(file, "tensor '" + t.name() + "' type " + t.type() + " ("
                    + GgufFile.typeName(t.type()) + "): expected one of F32, F16, BF16, Q8_0, Q4_0");
        }
        return type;
    }

    private static LlamaConfig config(Keys keys, GgufFile gguf, Map<String, GgufFile.TensorInfo> byName,
                                      GgufVocabulary vocabulary, Path file) throws CheckpointFormatException {
        int dim = keys.requiredInt("llama.embedding_length");
        int layers = keys.requiredInt("llama.block_count");
        int hidden = keys.requiredInt("llama.feed_forward_length");
        int heads = keys.requiredInt("llama.attention.head_count");
        int kvHeads = keys.optionalInt("llama.attention.head_count_kv", heads);
        int maxSeq = keys.requiredInt("llama.context_length");
        float eps = keys.requiredFloat("llama.attention.layer_norm_rms_epsilon");
        float theta = keys.optionalFloat("llama.rope.freq_base", 10000f);

        int headDim;
        if (keys.has("llama.attention.key_length")) {
            headDim = keys.requiredInt("llama.attention.key_length");
        } else if (dim % heads != 0) {
            throw CheckpointFormatException.in(file, "llama.embedding_length = " + dim + " is not a multiple of "
                    + "llama.attention.head_count = " + heads + ": expected llama.attention.key_length to give the head size");
        } else {
            headDim = dim / heads;
        }
        if (keys.has("llama.attention.value_length") && keys.requiredInt("llama.attention.value_length") != headDim) {
            throw keys.error("llama.attention.value_length", "the key length " + headDim);
        }
        if (keys.has("llama.rope.dimension_count") && keys.requiredInt("llama.rope.dimension_count") != headDim) {
            throw keys.error("llama.rope.dimension_count", "the head size " + headDim + " (partial rotary embeddings are not supported)");
        }

        int vocab;
        if (keys.has("llama.vocab_size")) {
            vocab = keys.requiredInt("llama.vocab_size");
        } else if (vocabulary != null) {
            vocab = vocabulary.tokens().length;
        } else if (byName.containsKey("token_embd.weight")) {
            vocab = byName.get("token_embd.weight").shape()[0];
        } else {
            throw CheckpointFormatException.in(file, "no vocabulary size: expected llama.vocab_size, tokenizer.ggml.tokens or token_embd.weight");
        }
        boolean tied = !byName.containsKey("output.weight");
        String scalingType = keys.string("llama.rope.scaling.type");
        if (scalingType != null && !scalingType.equals("none")) {
            throw keys.error("llama.rope.scaling.type", "\"none\" (only Llama 3 scaling through rope_freqs.weight is supported)");
        }
        RopeScaling scaling = scaling(keys, gguf, byName.get(ROPE_FREQS), headDim, theta, file);
        try {
            return new LlamaConfig(dim, layers, heads, kvHeads, headDim, hidden, vocab, maxSeq, eps, theta, tied,
                    RopeLayout.INTERLEAVED, scaling);
        } catch (IllegalArgumentException e) {
            throw CheckpointFormatException.in(file, "the llama.* keys describe an impossible model: " + e.getMessage(), e);
        }
    }

    private static RopeScaling scaling(Keys keys, GgufFile gguf, GgufFile.TensorInfo freqs, int headDim, float theta,
                                       Path file) throws CheckpointFormatException {
        if (keys.has(SCALING_FACTOR)) {
            try {
                return new RopeScaling(keys.requiredFloat(SCALING_FACTOR), keys.requiredFloat(SCALING_LOW),
                        keys.requiredFloat(SCALING_HIGH), keys.requiredInt(SCALING_ORIGINAL));
            } catch (IllegalArgumentException e) {
                throw CheckpointFormatException.in(file, "piece4j.rope_scaling.*: " + e.getMessage(), e);
            }
        }
        if (freqs == null) return null;
        if (freqs.type() != GgufFile.GGML_F32 || freqs.dims().length != 1 || freqs.dims()[0] != headDim / 2) {
            throw CheckpointFormatException.in(file, "tensor '" + ROPE_FREQS + "' type " + GgufFile.typeName(freqs.type())
                    + " dims " + Arrays.toString(freqs.dims()) + ": expected F32 [" + headDim / 2 + "]");
        }
        float[] divisors = new float[headDim / 2];
        ElementCodec.decode(ElementType.F32, gguf.bytes(freqs), 0, divisors.length, divisors, 0);
        try {
            return Llama3RopeFactors.fit(divisors, headDim, theta);
        } catch (IllegalArgumentException e) {
            throw CheckpointFormatException.in(file, "tensor '" + ROPE_FREQS + "': " + e.getMessage()
                    + ": expected Llama 3 RoPE scaling divisors", e);
        }
    }

    private static GgufVocabulary vocabulary(Keys keys) throws CheckpointFormatException {
        if (!keys.has("tokenizer.ggml.tokens")) return null;
        String[] tokens = keys.array("tokenizer.ggml.tokens", String[].class, "an array of strings");
        String model = keys.has("tokenizer.ggml.model") ? keys.string("tokenizer.ggml.model") : "llama";
        if (model == null) throw keys.error("tokenizer.ggml.model", "a string");
        float[] scores = keys.has("tokenizer.ggml.scores") ? keys.array("tokenizer.ggml.scores", float[].class, "an array of float32") : null;
        int[] types = null;
        if (keys.has("tokenizer.ggml.token_type")) {
            long[] raw = keys.array("tokenizer.ggml.token_type", long[].class, "an array of integers");
            types = new int[raw.length];
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] != (int) raw[i]) throw keys.error("tokenizer.ggml.token_type", "int32 values");
                types[i] = (int) raw[i];
            }
        }
        String[] merges = keys.has("tokenizer.ggml.merges") ? keys.array("tokenizer.ggml.merges", String[].class, "an array of strings") : null;
        int bos = keys.has("tokenizer.ggml.bos_token_id") ? keys.tokenId("tokenizer.ggml.bos_token_id", tokens.length) : -1;
        int eos = keys.has("tokenizer.ggml.eos_token_id") ? keys.tokenId("tokenizer.ggml.eos_token_id", tokens.length) : -1;
        try {
            return new GgufVocabulary(model, tokens, scores, types, merges, bos, eos);
        } catch (IllegalArgumentException e) {
            throw CheckpointFormatException.in(keys.file, "tokenizer.ggml.*: " + e.getMessage(), e);
        }
    }

    /** Typed access to the metadata, each wrong value a CheckpointFormatException naming the key. */
    private record Keys(Map<String, Object> metadata, Path file) {
        boolean has(String key) { return metadata.containsKey(key); }

        CheckpointFormatException error(String key, String expected) {
            return CheckpointFormatException.in(file, "metadata '" + key + "' = " + GgufFile.describe(metadata.get(key))
                    + ": expected " + expected);
        }

        String string(String key) throws CheckpointFormatException {
            Object v = metadata.get(key);
            if (v == null) return null;
            if (v instanceof String s) return s;
            throw error(key, "a string");
        }

        int requiredInt(String key) throws CheckpointFormatException {
            Object v = metadata.get(key);
            if (v == null) throw CheckpointFormatException.in(file, "metadata '" + key + "' is missing: expected a positive integer");
            if (v instanceof Long l && l > 0 && l <= Integer.MAX_VALUE) return (int) (long) l;
            throw error(key, "an integer in [1, " + Integer.MAX_VALUE + "]");
        }

        int optionalInt(String key, int fallback) throws CheckpointFormatException {
            return has(key) ? requiredInt(key) : fallback;
        }

        int tokenId(String key, int vocab) throws CheckpointFormatException {
            Object v = metadata.get(key);
            if (v instanceof Long l && l >= 0 && l < vocab) return (int) (long) l;
            throw error(key, "a token id below " + vocab);
        }

        float requiredFloat(String key) throws CheckpointFormatException {
            Object v = metadata.get(key);
            if (v == null) throw CheckpointFormatException.in(file, "metadata '" + key + "' is missing: expected a number");
            double d;
            if (v instanceof Float f) d = f;
            else if (v instanceof Double x) d = x;
            else if (v instanceof Long l) d = l;
            else throw error(key, "a number");
            if (!Double.isFinite(d) || !Float.isFinite((float) d)) throw error(key, "a finite number");
            return (float) d;
        }

        float optionalFloat(String key, float fallback) throws CheckpointFormatException {
            return has(key) ? requiredFloat(key) : fallback;
        }

        <T> T array(String key, Class<T> type, String expected) throws CheckpointFormatException {
            Object v = metadata.get(key);
            if (type.isInstance(v)) return type.cast(v);
            throw error(key, expected);
        }
    }
}
