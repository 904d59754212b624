package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.ParamSpec;
import io.piece4j.nn.LlamaConfig.RopeLayout;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads llama2.c checkpoints (Karpathy's export.py). Weights are INTERLEAVED for RoPE; norm eps is 1e-5 and
 * RoPE theta 10000, which the format does not store.
 *
 * <pre>
 * legacy (v0): int32 dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size
 *              means an unshared classifier. float32 weights: tok_embeddings, attn_norm (all layers), wq, wk, wv,
 *              wo, mlp_norm, w1 = gate, w2 = down, w3 = up, norm, freq_cis_real and freq_cis_imag
 *              (seq_len * head_size / 2 each, skipped), output if unshared.
 * version 1:   u32 magic "ak42" (0x616b3432), int32 version, the 7 ints, u8 shared_classifier, zeros to 256
 *              bytes; float32: attn_norm, mlp_norm, norm, tok_embeddings, wq, wk, wv, wo, gate, down, up, output if
 *              unshared.
 * version 2:   as version 1 plus int32 group_size after the flag; float32 attn_norm, mlp_norm, norm; then
 *              tok_embeddings, wq, wk, wv, wo, gate, down, up (each kind for every layer), output if unshared,
 *              each as its int8 values immediately followed by its float32 scales, one per group of group_size
 *              values: x[i] = q[i] * scale[i / group_size] (what llama2.c's runq.c maps and export.py writes).
 * </pre>
 *
 * An early export.py wrote version 2 with all int8 values first and all scales after them. The file size is
 * the same, so such a file is recognised by its scales: read in the current layout they are not all finite
 * and non-negative, read in the early one they are. It is refused with a message saying so, as runq.c
 * cannot read it either. A NaN, infinite or negative scale is refused.
 */
public final class Llama2cReader {
    static final int MAGIC = 0x616b3432;
    static final int LEGACY_HEADER_BYTES = 28;
    static final int VERSIONED_HEADER_BYTES = 256;
    static final float NORM_EPS = 1e-5f;
    static final float ROPE_THETA = 10000f;
    private static final String[] HEADER_FIELDS = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};

    private Llama2cReader() {}

    public static Checkpoint read(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment segment = FileMapping.map(file, arena);
            return read(file, segment, arena);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static Checkpoint read(Path file, MemorySegment segment, Arena arena) throws CheckpointFormatException {
        long size = segment.byteSize();
        if (size < LEGACY_HEADER_BYTES) {
            throw CheckpointFormatException.in(file, "file is " + size + " bytes: expected at least "
                    + LEGACY_HEADER_BYTES + " (the llama2.c header of 7 int32)");
        }
        ByteCursor in = new ByteCursor(segment, file, 0);
        int version = 0, groupSize = 0;
        boolean shared;
        int[] h = new int[7];
        if (segment.get(LittleEndian.I32, 0) == MAGIC) {
            if (size < VERSIONED_HEADER_BYTES) {
                throw CheckpointFormatException.in(file, "file is " + size + " bytes: expected at least "
                        + VERSIONED_HEADER_BYTES + " (the versioned llama2.c header)");
            }
            in.i32("magic");
            version = in.i32("version");
            if (version != 1 && version != 2) throw CheckpointFormatException.in(file, "version " + version + ": expected 1 or 2");
            for (int i = 0; i < 7; i++) h[i] = in.i32(HEADER_FIELDS[i]);
            int flag = in.u8("shared_classifier");
            if (flag > 1) throw CheckpointFormatException.in(file, "shared_classifier = " + flag + ": expected 0 or 1");
            shared = flag == 1;
            if (version == 2) {
                groupSize = in.i32("group_size");
                if (groupSize <= 0) throw CheckpointFormatException.in(file, "group_size = " + groupSize + ": expected a positive number");
            }
        } else {
            for (int i = 0; i < 7; i++) h[i] = in.i32(HEADER_FIELDS[i]);
            shared = h[5] > 0;
            if (h[5] == Integer.MIN_VALUE) throw CheckpointFormatException.in(file, "vocab_size = " + h[5] + ": expected |vocab_size| < 2^31");
            h[5] = Math.abs(h[5]);
        }
        for (int i = 0; i < 7; i++) {
            if (h[i] <= 0) throw CheckpointFormatException.in(file, "header " + HEADER_FIELDS[i] + " = " + h[i] + ": expected a positive number");
        }
        int dim = h[0], heads = h[3];
        if (dim % heads != 0) {
            throw CheckpointFormatException.in(file, "header dim = " + dim + " is not a multiple of n_heads = " + heads
                    + ": expected head_size = dim / n_heads");
        }
        LlamaConfig config;
        try {
            config = new LlamaConfig(dim, h[2], heads, h[4], dim / heads, h[1], h[5], h[6], NORM_EPS, ROPE_THETA, shared,
                    RopeLayout.INTERLEAVED, null);
        } catch (IllegalArgumentException e) {
            throw CheckpointFormatException.in(file, "header describes an impossible model: " + e.getMessage(), e);
        }
        long dataStart = version == 0 ? LEGACY_HEADER_BYTES : VERSIONED_HEADER_BYTES;
        long expected = expectedSize(config, version, groupSize, dataStart, file);
        if (expected != size) {
            throw CheckpointFormatException.in(file, "file is " + size + " bytes: expected " + expected + " for a version "
                    + version + " file of dim " + dim + ", hidden_dim " + h[1] + ", n_layers " + h[2] + ", n_heads " + heads
                    + ", n_kv_heads " + h[4] + ", vocab_size " + h[5] + ", seq_len " + h[6] + ", "
                    + (shared ? "shared" : "unshared") + " classifier" + (version == 2 ? ", group_size " + groupSize : ""));
        }

        Map<String, ParamSpec> specs = new HashMap<>();
        for (ParamSpec p : config.parameterSpecs()) specs.put(p.name(), p);
        CanonicalTensors tensors = new CanonicalTensors(file);
        long at = dataStart;
        if (version == 2) {
            List<ParamSpec> quantized = new ArrayList<>();
            for (String name : fileOrder(config, version)) {
                ParamSpec p = specs.get(name);
                if (p.shape().length == 1) {
                    at = addF32(tensors, segment, p, at);
                } else {
                    if (p.numel() % groupSize != 0) {
                        throw CheckpointFormatException.in(file, name + " has " + p.numel() + " values: expected a multiple of group_size " + groupSize);
                    }
                    quantized.add(p);
                }
            }
            List<Q8Placement> placements = placeQ8(quantized, at, groupSize, true);
            String badScale = firstBadScale(segment, placements, groupSize);
            if (badScale != null) {
                if (firstBadScale(segment, placeQ8(quantized, at, groupSize, false), groupSize) == null) {
                    throw CheckpointFormatException.in(file, "int8 weights in the layout of an early llama2.c export.py (all int8 values,"
                            + " then all scales): expected each weight's values followed by its own scales, as runq.c reads them;"
                            + " re-export the model with the current export.py --version 2");
                }
                throw CheckpointFormatException.in(file, badScale);
            }
            for (Q8Placement q : placements) addQ8(tensors, segment, q, groupSize);
        } else {
            for (String name : fileOrder(config, version)) {
                if (name.equals("freq_cis")) {
                    at += (long) config.maxSeqLen() * config.headDim() * 4; // real and imaginary halves, seq_len * head_size/2 each
                } else {
                    at = addF32(tensors, segment, specs.get(name), at);
                }
            }
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("llama2c.version", (long) version);
        if (version == 2) metadata.put("llama2c.group_size", (long) groupSize);
        return new Checkpoint("llama2c", file, config, tensors.inOrderOf(config, name -> name), metadata, null, List.of(arena));
    }

    private static long expectedSize(LlamaConfig c, int version, int groupSize, long dataStart, Path file)
            throws CheckpointFormatException {
        try {
            long params = c.parameterCount();
            long bytes;
            if (version == 2) {
                long normFloats = (2L * c.layers() + 1) * c.dim();
                long quantized = params - normFloats;
                bytes = Math.addExact(Math.multiplyExact(4, normFloats), Math.addExact(quantized, Math.multiplyExact(4, quantized / groupSize)));
            } else {
                long floats = params;
                if (version == 0) floats = Math.addExact(floats, Math.multiplyExact((long) c.maxSeqLen(), c.headDim()));
                bytes = Math.multiplyExact(4, floats);
            }
            return Math.addExact(dataStart, bytes);
        } catch (ArithmeticException e) {
            throw CheckpointFormatException.in(file, "header sizes overflow 64 bits: expected a model that fits a file");
        }
    }

    /** Canonical names in the order the version stores them ("freq_cis" marks legacy's skipped RoPE tables). */
    static List<String> fileOrder(LlamaConfig c, int version) {
        List<String> order = new ArrayList<>();
        if (version == 0) {
            order.add("tok_embeddings");
            for (String kind : new String[] {"attn_norm", "attn.wq", "attn.wk", "attn.wv", "attn.wo", "mlp_norm", "mlp.w_gate", "mlp.w_down", "mlp.w_up"}) {
                for (int i = 0; i < c.layers(); i++) order.add("layers." + i + "." + kind);
            }
            order.add("norm");
            order.add("freq_cis");
        } else {
            for (int i = 0; i < c.layers(); i++) order.add("layers." + i + ".attn_norm");
            for (int i = 0; i < c.layers(); i++) order.add("layers." + i + ".mlp_norm");
            order.add("norm");
            order.add("tok_embeddings");
            for (String kind : new String[] {"attn.wq", "attn.wk", "attn.wv", "attn.wo", "mlp.w_gate", "mlp.w_down", "mlp.w_up"}) {
                for (int i = 0; i < c.layers(); i++) order.add("layers." + i + "." + kind);
            }
        }
        if (!c.tiedEmbeddings()) order.add("output");
        return order;
    }

    private static long addF32(CanonicalTensors tensors, MemorySegment segment, ParamSpec p, long at) throws CheckpointFormatException {
        MemorySegment bytes = segment.asSlice(at, p.numel() * 4);
        tensors.add(p.name(), p.name(), p.shape(), ElementType.F32,
                (first, count, dst, off) -> ElementCodec.decode(ElementType.F32, bytes, first, count, dst, off));
        return at + p.numel() * 4;
    }

    /** Where one int8 weight's values and scales lie in the file. */
    private record Q8Placement(ParamSpec spec, long valuesAt, long scalesAt) {}

    /**
     * The placement of each quantized weight starting at {@code at}: each weight's values followed by its scales
     * (upstream), or all values first and all scales after them (an early export.py).
     */
    private static List<Q8Placement> placeQ8(List<ParamSpec> quantized, long at, int groupSize, boolean upstream) {
        long allValues = 0;
        for (ParamSpec p : quantized) allValues += p.numel();
        long values = at, scales = at + allValues;
        List<Q8Placement> out = new ArrayList<>();
        for (ParamSpec p : quantized) {
            long scaleBytes = p.numel() / groupSize * 4;
            if (upstream) {
                out.add(new Q8Placement(p, values, values + p.numel()));
                values += p.numel() + scaleBytes;
            } else {
                out.add(new Q8Placement(p, values, scales));
                values += p.numel();
                scales += scaleBytes;
            }
        }
        return out;
    }

    /** The first scale that is not a finite number >= 0 (export.py writes max|w| / 127), described; or null. */
    private static String firstBadScale(MemorySegment segment, List<Q8Placement> placements, int groupSize) {
        for (Q8Placement q : placements) {
            long groups = q.spec().numel() / groupSize;
            for (long g = 0; g < groups; g++) {
                float s = segment.get(LittleEndian.F32, q.scalesAt() + 4 * g);
                if (!(s >= 0) || s == Float.POSITIVE_INFINITY) {
                    return q.spec().name() + " scale of group " + g + " (of " + groups + ") at byte " + (q.scalesAt() + 4 * g)
                            + " is " + s + ": expected a finite scale >= 0 (max|w| / 127 of the group)";
                }
            }
        }
        return null;
    }

    // x[i] = q[i] * scale[i / groupSize]
    private static void addQ8(CanonicalTensors tensors, MemorySegment segment, Q8Placement q, int groupSize)
            throws CheckpointFormatException {
        ParamSpec p = q.spec();
        MemorySegment values = segment.asSlice(q.valuesAt(), p.numel());
        MemorySegment scales = segment.asSlice(q.scalesAt(), p.numel() / groupSize * 4);
        tensors.add(p.name(), p.name(), p.shape(), ElementType.Q8_LLAMA2C, (first, count, dst, off) -> {
            for (int i = 0; i < count; i++) {
                long e = first + i;
                dst[off + i] = values.get(ValueLayout.JAVA_BYTE, e) * scales.get(LittleEndian.F32, e / groupSize * 4);
            }
        });
    }
}
