package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds GGUF bytes field by field, independently of {@link GgufWriter}, so tests can state exactly what a
 * file holds, including things a correct writer never produces.
 */
final class GgufBuilder {
    private record Tensor(String name, long[] dims, int type, byte[] data, Long offsetOverride) {}

    private int magic = GgufFile.MAGIC;
    private int version = 3;
    private int alignment = 32;
    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private int kvCount;
    private final List<Tensor> tensors = new ArrayList<>();

    GgufBuilder magic(int m) { magic = m; return this; }

    GgufBuilder version(int v) { version = v; return this; }

    /** The alignment tensors are placed at (does not write general.alignment). */
    GgufBuilder alignment(int a) { alignment = a; return this; }

    GgufBuilder string(String key, String value) {
        raw(key, GgufFile.STRING, str(value));
        return this;
    }

    GgufBuilder u32(String key, long value) {
        raw(key, GgufFile.UINT32, le(4, value));
        return this;
    }

    GgufBuilder f32(String key, float value) {
        raw(key, GgufFile.FLOAT32, le(4, Float.floatToRawIntBits(value)));
        return this;
    }

    GgufBuilder strings(String key, String... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(le(4, GgufFile.STRING));
        b.writeBytes(le(8, values.length));
        for (String v : values) b.writeBytes(str(v));
        raw(key, GgufFile.ARRAY, b.toByteArray());
        return this;
    }

    GgufBuilder f32s(String key, float... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(le(4, GgufFile.FLOAT32));
        b.writeBytes(le(8, values.length));
        for (float v : values) b.writeBytes(le(4, Float.floatToRawIntBits(v)));
        raw(key, GgufFile.ARRAY, b.toByteArray());
        return this;
    }

    GgufBuilder i32s(String key, int... values) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(le(4, GgufFile.INT32));
        b.writeBytes(le(8, values.length));
        for (int v : values) b.writeBytes(le(4, v));
        raw(key, GgufFile.ARRAY, b.toByteArray());
        return this;
    }

    /** A key with any type id and value bytes. */
    GgufBuilder raw(String key, int type, byte[] value) {
        kv.writeBytes(str(key));
        kv.writeBytes(le(4, type));
        kv.writeBytes(value);
        kvCount++;
        return this;
    }

    /** A tensor given as row-major shape; its dims are written innermost first. */
    GgufBuilder tensor(String name, int[] shape, int type, byte[] data) {
        long[] dims = new long[shape.length];
        for (int i = 0; i < shape.length; i++) dims[i] = shape[shape.length - 1 - i];
        tensors.add(new Tensor(name, dims, type, data, null));
        return this;
    }

    GgufBuilder tensorF32(String name, int[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return tensor(name, shape, GgufFile.GGML_F32, b.array());
    }

    /** A tensor info with raw dims and an explicit offset (data bytes still appended in order). */
    GgufBuilder rawTensor(String name, long[] dims, int type, byte[] data, long offset) {
        tensors.add(new Tensor(name, dims, type, data, offset));
        return this;
    }

    /** The keys a llama GGUF needs for this config, as llama.cpp writes them. */
    GgufBuilder llamaKeys(LlamaConfig c) {
        string("general.architecture", "llama");
        u32("llama.context_length", c.maxSeqLen());
        u32("llama.embedding_length", c.dim());
        u32("llama.block_count", c.layers());
        u32("llama.feed_forward_length", c.hiddenDim());
        u32("llama.attention.head_count", c.heads());
        u32("llama.attention.head_count_kv", c.kvHeads());
        u32("llama.rope.dimension_count", c.headDim());
        f32("llama.attention.layer_norm_rms_epsilon", c.normEps());
        f32("llama.rope.freq_base", c.ropeTheta());
        u32("llama.vocab_size", c.vocabSize());
        return this;
    }

    /** Every parameter as an F32 tensor under its GGUF name. */
    GgufBuilder llamaTensorsF32(List<NamedTensor> weights) {
        for (NamedTensor t : weights) tensorF32(TensorNames.toGguf(t.name()), t.shape(), t.data());
        return this;
    }

    byte[] build() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le(4, magic));
        out.writeBytes(le(4, version));
        out.writeBytes(le(8, tensors.size()));
        out.writeBytes(le(8, kvCount));
        out.writeBytes(kv.toByteArray());
        long offset = 0;
        List<Long> offsets = new ArrayList<>();
        for (Tensor t : tensors) {
            long at = t.offsetOverride() != null ? t.offsetOverride() : offset;
            offsets.add(at);
            out.writeBytes(str(t.name()));
            out.writeBytes(le(4, t.dims().length));
            for (long d : t.dims()) out.writeBytes(le(8, d));
            out.writeBytes(le(4, t.type()));
            out.writeBytes(le(8, at));
            offset = align(offset + t.data().length);
        }
        while (out.size() % alignment != 0) out.write(0);
        long dataStart = out.size();
        for (int i = 0; i < tensors.size(); i++) {
            while (out.size() < dataStart + offsets.get(i) && tensors.get(i).offsetOverride() == null) out.write(0);
            out.writeBytes(tensors.get(i).data());
        }
        return out.toByteArray();
    }

    private long align(long x) {
        return (x + alignment - 1) / alignment * alignment;
    }

    static byte[] str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + b.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(b.length).put(b);
        return buf.array();
    }

    static byte[] le(int bytes, long value) {
        ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        byte[] out = new byte[bytes];
        System.arraycopy(buf.array(), 0, out, 0, bytes);
        return out;
    }
}
