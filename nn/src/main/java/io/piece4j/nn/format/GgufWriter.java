package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes a Llama model as GGUF v3 for llama.cpp and its relatives: llama.* metadata, tensors under GGUF names
 * with wq and wk in the INTERLEAVED layout (permuted if the config says HALF_SPLIT), optionally a tokenizer,
 * and extra key-value pairs carried from elsewhere (keys this writer defines itself win over them).
 * Matrices are F32, F16, BF16 or Q8_0; one-dimensional tensors (the norms) stay F32 as llama.cpp's converter
 * keeps them, and a matrix whose rows are not a multiple of 32 long falls back from Q8_0 to F16, as there.
 * Llama 3 RoPE scaling is written both as llama.cpp's rope_freqs.weight divisors and as piece4j.rope_scaling.*
 * keys, which give the exact numbers back. The file is written atomically.
 */
public final class GgufWriter {
    static final int ALIGNMENT = GgufFile.DEFAULT_ALIGNMENT;

    private GgufWriter() {}

    private record Planned(String name, int[] shape, ElementType type, float[] data, long offset, long bytes) {}

    /** As {@link #write(Path, LlamaConfig, List, ElementType, GgufVocabulary, List)} with no extra keys. */
    public static void write(Path file, LlamaConfig config, List<NamedTensor> tensors, ElementType type,
                             GgufVocabulary vocabulary) throws IOException {
        write(file, config, tensors, type, vocabulary, List.of());
    }

    /**
     * @param config     the model; its ropeLayout is the layout {@code tensors} are in
     * @param tensors    every parameter of the config under its canonical name
     * @param type       F32, F16, BF16 or Q8_0 for the matrices
     * @param vocabulary the tokenizer to embed, or null
     * @param extraKeys  more key-value pairs, written after this writer's own unless it defines the key itself
     *                   (the first of two pairs with one key wins)
     */
    public static void write(Path file, LlamaConfig config, List<NamedTensor> tensors, ElementType type,
                             GgufVocabulary vocabulary, List<GgufKeyValue> extraKeys) throws IOException {
        int fileType = switch (type) { // llama_ftype: ALL_F32, MOSTLY_F16, MOSTLY_Q8_0, MOSTLY_BF16
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("type " + type + ": expected F32, F16, BF16 or Q8_0");
        };
        if (vocabulary != null && vocabulary.tokens().length != config.vocabSize()) {
            throw new IllegalArgumentException("vocabulary has " + vocabulary.tokens().length + " tokens: expected the config's vocabSize "
                    + config.vocabSize());
        }
        List<Planned> plan = new ArrayList<>();
        long offset = 0;
        List<NamedTensor> all = new ArrayList<>(ModelTensors.prepare(config, tensors, RopeLayout.INTERLEAVED));
        if (config.ropeScaling() != null) {
            float[] divisors = Llama3RopeFactors.of(config.ropeScaling(), config.headDim(), config.ropeTheta());
            all.add(new NamedTensor(GgufReader.ROPE_FREQS, new int[] {divisors.length}, divisors));
        }
        for (NamedTensor t : all) {
            int[] shape = t.shape();
            ElementType stored = shape.length == 1 ? ElementType.F32
                    : type == ElementType.Q8_0 && shape[shape.length - 1] % 32 != 0 ? ElementType.F16 : type;
            String name = t.name().equals(GgufReader.ROPE_FREQS) ? t.name() : TensorNames.toGguf(t.name());
            long bytes = (long) t.data().length / stored.blockSize * stored.bytesPerBlock;
            plan.add(new Planned(name, shape, stored, t.data(), offset, bytes));
            offset = GgufFile.align(offset + bytes, ALIGNMENT);
        }

        Metadata kv = new Metadata();
        kv.string("general.architecture", "llama");
        kv.u32("general.alignment", ALIGNMENT);
        kv.u32("general.file_type", fileType);
        kv.u32("llama.context_length", config.maxSeqLen());
        kv.u32("llama.embedding_length", config.dim());
        kv.u32("llama.block_count", config.layers());
        kv.u32("llama.feed_forward_length", config.hiddenDim());
        kv.u32("llama.attention.head_count", config.heads());
        kv.u32("llama.attention.head_count_kv", config.kvHeads());
        if (config.dim() != config.heads() * config.headDim()) {
            kv.u32("llama.attention.key_length", config.headDim());
            kv.u32("llama.attention.value_length", config.headDim());
        }
        kv.u32("llama.rope.dimension_count", config.headDim());
        kv.f32("llama.attention.layer_norm_rms_epsilon", config.normEps());
        kv.f32("llama.rope.freq_base", config.ropeTheta());
        kv.u32("llama.vocab_size", config.vocabSize());
        if (config.ropeScaling() != null) {
            kv.f32(GgufReader.SCALING_FACTOR, config.ropeScaling().factor());
            kv.f32(GgufReader.SCALING_LOW, config.ropeScaling().lowFreqFactor());
            kv.f32(GgufReader.SCALING_HIGH, config.ropeScaling().highFreqFactor());
            kv.u32(GgufReader.SCALING_ORIGINAL, config.ropeScaling().originalMaxPositionEmbeddings());
        }
        if (vocabulary != null) vocabulary(kv, vocabulary);
        for (GgufKeyValue extra : extraKeys) kv.encoded(extra);

        AtomicFile.write(file, ch -> {
            LittleEndianOutput out = new LittleEndianOutput(ch);
            out.i32(GgufFile.MAGIC);
            out.i32(3);
            out.i64(plan.size());
            out.i64(kv.count);
            kv.writeTo(out);

            for (Planned p : plan) {
                out.ggufString(p.name());
                out.i32(p.shape().length);
                for (int d = p.shape().length - 1; d >= 0; d--) out.i64(p.shape()[d]); // innermost first
                out.i32(ggmlType(p.type()));
                out.i64(p.offset());
            }
            out.padTo(ALIGNMENT);
            long dataStart = out.position();
            for (Planned p : plan) {
                out.zeros(dataStart + p.offset() - out.position());
                switch (p.type()) {
                    case F32 -> { for (float v : p.data()) out.f32(v); }
                    case F16 -> { for (float v : p.data()) out.i16(ElementCodec.floatToF16(v)); }
                    case BF16 -> { for (float v : p.data()) out.i16(ElementCodec.floatToBf16(v)); }
                    case Q8_0 -> out.bytes(ElementCodec.encodeQ8_0(p.data()));
                    default -> throw new IllegalStateException("planned type " + p.type());
                }
            }
            out.padTo(ALIGNMENT);
            out.flush();
        });
    }

    private static int ggmlType(ElementType t) {
        return switch (t) {
            case F32 -> GgufFile.GGML_F32;
            case F16 -> GgufFile.GGML_F16;
            case BF16 -> GgufFile.GGML_BF16;
            case Q8_0 -> GgufFile.GGML_Q8_0;
            default -> throw new IllegalArgumentException("no ggml type for " + t);
        };
    }

    private static void vocabulary(Metadata kv, GgufVocabulary v) {
        kv.string("tokenizer.ggml.model", v.model());
        kv.strings("tokenizer.ggml.tokens", v.tokens());
        if (v.scores() != null) kv.f32s("tokenizer.ggml.scores", v.scores());
        if (v.tokenTypes() != null) kv.i32s("tokenizer.ggml.token_type", v.tokenTypes());
        if (v.merges() != null) kv.strings("tokenizer.ggml.merges", v.merges());
        if (v.bosId() >= 0) kv.u32("tokenizer.ggml.bos_token_id", v.bosId());
        if (v.eosId() >= 0) kv.u32("tokenizer.ggml.eos_token_id", v.eosId());
    }

    /** Key-value pairs collected first (the header states their count), then written in order. */
    private static final class Metadata {
        @FunctionalInterface
        private interface Entry {
            void writeTo(LittleEndianOutput out) throws IOException;
        }

        private final List<Entry> entries = new ArrayList<>();
        private final Set<String> keys = new HashSet<>();
        long count;

        private void add(String key, int type, Entry value) {
            if (!keys.add(key)) throw new IllegalStateException("metadata key " + key + " written twice");
            entries.add(out -> {
                out.ggufString(key);
                out.i32(type);
                value.writeTo(out);
            });
            count++;
        }

        /** A pair in encoded form, unless the key is already written. */
        void encoded(GgufKeyValue kv) {
            if (keys.contains(kv.key())) return;
            byte[] value = kv.value();
            add(kv.key(), kv.type(), out -> out.bytes(value));
        }

        void string(String key, String value) { add(key, GgufFile.STRING, out -> out.ggufString(value)); }

        void u32(String key, int value) { add(key, GgufFile.UINT32, out -> out.i32(value)); }

        void f32(String key, float value) { add(key, GgufFile.FLOAT32, out -> out.f32(value)); }

        void strings(String key, String[] values) {
            add(key, GgufFile.ARRAY, out -> {
                out.i32(GgufFile.STRING);
                out.i64(values.length);
                for (String s : values) out.ggufString(s);
            });
        }

        void f32s(String key, float[] values) {
            add(key, GgufFile.ARRAY, out -> {
                out.i32(GgufFile.FLOAT32);
                out.i64(values.length);
                for (float f : values) out.f32(f);
            });
        }

        void i32s(String key, int[] values) {
            add(key, GgufFile.ARRAY, out -> {
                out.i32(GgufFile.INT32);
                out.i64(values.length);
                for (int i : values) out.i32(i);
            });
        }

        void writeTo(LittleEndianOutput out) throws IOException {
            for (Entry e : entries) e.writeTo(out);
        }
    }
}
