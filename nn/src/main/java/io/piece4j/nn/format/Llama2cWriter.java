package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes llama2.c checkpoints, legacy (version 0) or version 1, float32, in the layouts {@link Llama2cReader}
 * describes; wq and wk rows INTERLEAVED (permuted if the config says HALF_SPLIT). The format cannot store a
 * head size other than dim / heads, a norm eps other than 1e-5, a RoPE theta other than 10000 or RoPE scaling,
 * so such a model is refused rather than written wrongly. The file is written atomically.
 */
public final class Llama2cWriter {
    private Llama2cWriter() {}

    /** @param version 0 (legacy, with the RoPE tables run.c once read) or 1 (the 256-byte header) */
    public static void write(Path file, LlamaConfig config, List<NamedTensor> tensors, int version) throws IOException {
        if (version != 0 && version != 1) throw new IllegalArgumentException("version " + version + ": expected 0 or 1");
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
        Map<String, float[]> data = new HashMap<>();
        for (NamedTensor t : ModelTensors.prepare(config, tensors, RopeLayout.INTERLEAVED)) data.put(t.name(), t.data());

        AtomicFile.write(file, ch -> {
            LittleEndianOutput out = new LittleEndianOutput(ch);
            if (version == 1) {
                out.i32(Llama2cReader.MAGIC);
                out.i32(1);
            }
            out.i32(config.dim());
            out.i32(config.hiddenDim());
            out.i32(config.layers());
            out.i32(config.heads());
            out.i32(config.kvHeads());
            // legacy files say "unshared classifier" with a negative vocab_size, version 1 with a flag byte
            out.i32(version == 0 && !config.tiedEmbeddings() ? -config.vocabSize() : config.vocabSize());
            out.i32(config.maxSeqLen());
            if (version == 1) {
                out.u8(config.tiedEmbeddings() ? 1 : 0);
                out.zeros(Llama2cReader.VERSIONED_HEADER_BYTES - out.position());
            }
            for (String name : Llama2cReader.fileOrder(config, version)) {
                if (name.equals("freq_cis")) {
                    writeRopeTables(out, config);
                } else {
                    for (float v : data.get(name)) out.f32(v);
                }
            }
            out.flush();
        });
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
