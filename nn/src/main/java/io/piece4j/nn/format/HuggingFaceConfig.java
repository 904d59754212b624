package io.piece4j.nn.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;
import io.piece4j.nn.LlamaConfig.RopeScaling;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Hugging Face LlamaForCausalLM config.json, read into and written from a {@link LlamaConfig}. Weights that go
 * with it are in the HALF_SPLIT RoPE layout.
 *
 * <p>Keys read: hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads (default: heads),
 * intermediate_size, vocab_size, max_position_embeddings, rms_norm_eps (default 1e-6, transformers' own),
 * rope_theta (default 10000), tie_word_embeddings (default false), head_dim (default hidden_size / heads), and
 * rope_scaling with rope_type (or type) "llama3". Newer transformers put rope_theta and the scaling under
 * rope_parameters; that is read too.
 */
public final class HuggingFaceConfig {
    private static final long MAX_BYTES = 16 << 20;

    private HuggingFaceConfig() {}

    public static LlamaConfig read(Path configJson) throws IOException {
        if (!Files.isRegularFile(configJson)) {
            throw CheckpointFormatException.in(configJson, "not found: expected a Hugging Face config.json");
        }
        long size = Files.size(configJson);
        if (size > MAX_BYTES) throw CheckpointFormatException.in(configJson, size + " bytes: expected a config.json under " + MAX_BYTES);
        JsonObject c = JsonObject.of(JsonObject.parse(Files.readAllBytes(configJson), configJson, ""), configJson, "");

        String modelType = c.optionalString("model_type");
        if (modelType != null && !modelType.equals("llama")) throw c.error("model_type", "\"llama\"");
        int dim = c.requiredInt("hidden_size");
        int layers = c.requiredInt("num_hidden_layers");
        int heads = c.requiredInt("num_attention_heads");
        int kvHeads = c.optionalInt("num_key_value_heads", heads);
        int hidden = c.requiredInt("intermediate_size");
        int vocab = c.requiredInt("vocab_size");
        int maxSeq = c.requiredInt("max_position_embeddings");
        float eps = c.optionalFloat("rms_norm_eps", 1e-6f);
        boolean tied = c.optionalBoolean("tie_word_embeddings", false);
        int headDim;
        if (c.has("head_dim")) {
            headDim = c.requiredInt("head_dim");
        } else if (dim % heads != 0) {
            throw CheckpointFormatException.in(configJson, "head_dim is missing and hidden_size = " + dim
                    + " is not a multiple of num_attention_heads = " + heads + ": expected head_dim");
        } else {
            headDim = dim / heads;
        }

        JsonObject ropeParameters = c.optionalObject("rope_parameters");
        float theta = c.has("rope_theta") ? c.optionalFloat("rope_theta", 10000f)
                : ropeParameters != null ? ropeParameters.optionalFloat("rope_theta", 10000f) : 10000f;
        JsonObject scalingJson = c.optionalObject("rope_scaling");
        if (scalingJson == null) scalingJson = ropeParameters;
        RopeScaling scaling = scalingJson == null ? null : ropeScaling(scalingJson, configJson);

        try {
            return new LlamaConfig(dim, layers, heads, kvHeads, headDim, hidden, vocab, maxSeq, eps, theta, tied,
                    RopeLayout.HALF_SPLIT, scaling);
        } catch (IllegalArgumentException e) {
            throw CheckpointFormatException.in(configJson, "describes an impossible model: " + e.getMessage(), e);
        }
    }

    private static RopeScaling ropeScaling(JsonObject s, Path file) throws CheckpointFormatException {
        String typeKey = s.has("rope_type") ? "rope_type" : "type";
        String type = s.optionalString(typeKey);
        if (type == null || type.equals("default")) return null;
        if (!type.equals("llama3")) throw s.error(typeKey, "\"llama3\" or \"default\" (other RoPE scalings are not supported)");
        try {
            return new RopeScaling(s.requiredFloat("factor"), s.requiredFloat("low_freq_factor"),
                    s.requiredFloat("high_freq_factor"), s.requiredInt("original_max_position_embeddings"));
        } catch (IllegalArgumentException e) {
            throw CheckpointFormatException.in(file, s.where("") + " " + e.getMessage(), e);
        }
    }

    /**
     * Writes config.json for the model (its weights written in the HALF_SPLIT layout) atomically.
     *
     * @param torchDtype "float32", "float16" or "bfloat16": what the weights beside it are stored as
     */
    public static void write(Path configJson, LlamaConfig config, String torchDtype) throws IOException {
        byte[] content = json(config, torchDtype);
        AtomicFile.write(configJson, out -> out.write(ByteBuffer.wrap(content)));
    }

    /** The config.json {@link #write} writes, as UTF-8 bytes. */
    static byte[] json(LlamaConfig config, String torchDtype) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(bytes)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeArrayFieldStart("architectures");
            g.writeString("LlamaForCausalLM");
            g.writeEndArray();
            g.writeStringField("model_type", "llama");
            g.writeStringField("hidden_act", "silu");
            g.writeBooleanField("attention_bias", false);
            g.writeBooleanField("mlp_bias", false);
            g.writeNumberField("hidden_size", config.dim());
            g.writeNumberField("intermediate_size", config.hiddenDim());
            g.writeNumberField("num_hidden_layers", config.layers());
            g.writeNumberField("num_attention_heads", config.heads());
            g.writeNumberField("num_key_value_heads", config.kvHeads());
            g.writeNumberField("head_dim", config.headDim());
            g.writeNumberField("vocab_size", config.vocabSize());
            g.writeNumberField("max_position_embeddings", config.maxSeqLen());
            g.writeNumberField("rms_norm_eps", config.normEps());
            g.writeNumberField("rope_theta", config.ropeTheta());
            if (config.ropeScaling() != null) {
                RopeScaling s = config.ropeScaling();
                g.writeObjectFieldStart("rope_scaling");
                g.writeStringField("rope_type", "llama3");
                g.writeNumberField("factor", s.factor());
                g.writeNumberField("low_freq_factor", s.lowFreqFactor());
                g.writeNumberField("high_freq_factor", s.highFreqFactor());
                g.writeNumberField("original_max_position_embeddings", s.originalMaxPositionEmbeddings());
                g.writeEndObject();
            }
            g.writeBooleanField("tie_word_embeddings", config.tiedEmbeddings());
            g.writeStringField("torch_dtype", torchDtype);
            g.writeEndObject();
        }
        bytes.write('\n');
        return bytes.toByteArray();
    }
}
