package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes llama2.c checkpoints in the layouts {@link Llama2cReader} describes: legacy (version 0, float32, what
 * llama2.c's run.c reads), version 1 (float32 with the 256-byte header) or version 2 (int8 with float32 group
 * scales, what runq.c reads); wq and wk rows INTERLEAVED (permuted if the config says HALF_SPLIT). The format cannot store a
 * head size other than dim / heads, a norm eps other than 1e-5, a RoPE theta other than 10000 or RoPE scaling,
 * so such a model is refused rather than written wrongly. The file is written atomically.
 */
public final class Llama2cWriter {
    private Llama2cWriter() {}

    /** Group size export.py starts from for version 2; it halves it until it divides dim. */
    static final int DEFAULT_GROUP_SIZE = 64;

    /**
     * @param version 0 (legacy, with the RoPE tables run.c once read and now skips), 1 (the 256-byte header) or
     *                2 (int8, group size 64 halved until it divides dim, as export.py picks it)
     */
    public static void write(Path file, LlamaConfig config, List<NamedTensor> tensors, int version) throws IOException {
        if (version < 0 || version > 2) throw new IllegalArgumentException("version " + version + ": expected 0, 1 or 2");
        if (config.headDim() * config.heads() != config.dim()) {
            throw new IllegalArgumentException("headDim = " + config.headDim() + ": llama2.c needs dim / heads = " + config.dim() / config.heads());
        }
        if (config.normEps() != Llama2cReader.NORM_EPS) {
            throw new IllegalArgumentException("normEps = " + config.normEps() + ": llama2.c assumes " + Llama2cReader.NORM_EPS);
        }
        if (config.ropeTheta() != Llama2cReader.ROPE_THETA) {
            throw new IllegalArgumentException("ropeTheta = " + config.ropeTheta() + ": llama2.c assumes " + Llama2cReader.ROPE_THETA);
        }
        if (config.ropeScaling() != null) throw new IllegalArgumentException("ropeScaling: llama2.c has no RoPE scaling");
        Map<String, NamedTensor> byName = new HashMap<>();
        for (NamedTensor t : ModelTensors.prepare(config, tensors, RopeLayout.INTERLEAVED)) byName.put(t.name(), t);

        int groupSize = DEFAULT_GROUP_SIZE;
        while (config.dim() % groupSize != 0) groupSize /= 2; // every matrix has a side of length dim
        int group = groupSize;

        AtomicFile.write(file, ch -> {
            LittleEndianOutput out = new LittleEndianOutput(ch);
            if (version > 0) {
                out.i32(Llama2cReader.MAGIC);
                out.i32(version);
            }
            out.i32(config.dim());
            out.i32(config.hiddenDim());
            out.i32(config.layers());
            out.i32(config.heads());
            out.i32(config.kvHeads());
            // legacy files say "unshared classifier" with a negative vocab_size, version 1 with a flag byte
            out.i32(version == 0 && !config.tiedEmbeddings() ? -config.vocabSize() : config.vocabSize());
            out.i32(config.maxSeqLen());
            if (version > 0) {
                out.u8(config.tiedEmbeddings() ? 1 : 0);
                if (version == 2) out.i32(group);
                out.zeros(Llama2cReader.VERSIONED_HEADER_BYTES - out.position());
            }
            for (String name : Llama2cReader.fileOrder(config, version)) {
                NamedTensor t = byName.get(name);
                if (name.equals("freq_cis")) {
                    writeRopeTables(out, config);
                } else if (version == 2 && t.shape().length == 2) { // version 2 keeps the norms in float32
                    writeInt8(out, t.data(), group);
                } else {
                    for (float v : t.data()) out.f32(v);
                }
            }
            out.flush();
        });
    }

    /**
     * One weight as version 2 stores it: its int8 values, then its float32 scales. Per group of groupSize values,
     * scale = max|w| / 127 and q = w / scale rounded half to even (export.py's quantize_q80); an all-zero group
     * has scale 0 and q = 0.
     */
    private static void writeInt8(LittleEndianOutput out, float[] w, int groupSize) throws IOException {
        float[] scales = new float[w.length / groupSize]; // (groups)
        byte[] q = new byte[w.length];                    // (numel)
        for (int g = 0; g < scales.length; g++) {
            float max = 0;
            for (int i = g * groupSize; i < (g + 1) * groupSize; i++) max = Math.max(max, Math.abs(w[i]));
            float scale = max / 127f;
            scales[g] = scale;
            for (int i = g * groupSize; i < (g + 1) * groupSize; i++) q[i] = scale == 0 ? 0 : (byte) Math.rint(w[i] / scale);
        }
        out.bytes(q);
        for (float s : scales) out.f32(s);
    }

    // freq_cis_real then freq_cis_imag, (seq_len, head_size/2) each: cos and sin of t * theta^(-2i/head_size)
    private static void writeRopeTables(LittleEndianOutput out, LlamaConfig c) throws IOException {
        int half = c.headDim() / 2;
        for (int part = 0; part < 2; part++) {
            for (int t = 0; t < c.maxSeqLen(); t++) {
                for (int i = 0; i < half; i++) {
                    float freq = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headDim()));
                    float angle = t * freq;
                    out.f32(part == 0 ? (float) Math.cos(angle) : (float) Math.sin(angle));
                }
            }
        }
    }
}
