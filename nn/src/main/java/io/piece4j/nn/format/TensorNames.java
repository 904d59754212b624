package io.piece4j.nn.format;

import java.util.Map;

/**
 * Canonical parameter names (those of {@link io.piece4j.nn.LlamaConfig#parameterSpecs()}) and the names Hugging
 * Face and GGUF give the same tensors.
 *
 * <pre>
 * canonical            Hugging Face                                   GGUF
 * tok_embeddings       model.embed_tokens.weight                      token_embd.weight
 * layers.N.attn_norm   model.layers.N.input_layernorm.weight          blk.N.attn_norm.weight
 * layers.N.attn.wq     model.layers.N.self_attn.q_proj.weight         blk.N.attn_q.weight
 * layers.N.attn.wk     model.layers.N.self_attn.k_proj.weight         blk.N.attn_k.weight
 * layers.N.attn.wv     model.layers.N.self_attn.v_proj.weight         blk.N.attn_v.weight
 * layers.N.attn.wo     model.layers.N.self_attn.o_proj.weight         blk.N.attn_output.weight
 * layers.N.mlp_norm    model.layers.N.post_attention_layernorm.weight blk.N.ffn_norm.weight
 * layers.N.mlp.w_gate  model.layers.N.mlp.gate_proj.weight            blk.N.ffn_gate.weight
 * layers.N.mlp.w_up    model.layers.N.mlp.up_proj.weight              blk.N.ffn_up.weight
 * layers.N.mlp.w_down  model.layers.N.mlp.down_proj.weight            blk.N.ffn_down.weight
 * norm                 model.norm.weight                              output_norm.weight
 * output               lm_head.weight                                 output.weight
 * </pre>
 */
public final class TensorNames {
    private TensorNames() {}

    // per-layer suffixes: canonical -> Hugging Face, canonical -> GGUF
    private static final Map<String, String> LAYER_HF = Map.of(
            "attn_norm", "input_layernorm.weight",
            "attn.wq", "self_attn.q_proj.weight",
            "attn.wk", "self_attn.k_proj.weight",
            "attn.wv", "self_attn.v_proj.weight",
            "attn.wo", "self_attn.o_proj.weight",
            "mlp_norm", "post_attention_layernorm.weight",
            "mlp.w_gate", "mlp.gate_proj.weight",
            "mlp.w_up", "mlp.up_proj.weight",
            "mlp.w_down", "mlp.down_proj.weight");
    private static final Map<String, String> LAYER_GGUF = Map.of(
            "attn_norm", "attn_norm.weight",
            "attn.wq", "attn_q.weight",
            "attn.wk", "attn_k.weight",
            "attn.wv", "attn_v.weight",
            "attn.wo", "attn_output.weight",
            "mlp_norm", "ffn_norm.weight",
            "mlp.w_gate", "ffn_gate.weight",
            "mlp.w_up", "ffn_up.weight",
            "mlp.w_down", "ffn_down.weight");
    private static final Map<String, String> GLOBAL_HF = Map.of(
            "tok_embeddings", "model.embed_tokens.weight", "norm", "model.norm.weight", "output", "lm_head.weight");
    private static final Map<String, String> GLOBAL_GGUF = Map.of(
            "tok_embeddings", "token_embd.weight", "norm", "output_norm.weight", "output", "output.weight");

    public static String toHuggingFace(String canonical) {
        return convert(canonical, "layers.", "model.layers.", GLOBAL_HF, LAYER_HF);
    }

    public static String toGguf(String canonical) {
        return convert(canonical, "layers.", "blk.", GLOBAL_GGUF, LAYER_GGUF);
    }

    /** The canonical name of a Hugging Face tensor name, or null when it is not a Llama parameter. */
    public static String fromHuggingFace(String name) {
        return invert(name, "model.layers.", "layers.", GLOBAL_HF, LAYER_HF);
    }

    /** The canonical name of a GGUF tensor name, or null when it is not a Llama parameter. */
    public static String fromGguf(String name) {
        return invert(name, "blk.", "layers.", GLOBAL_GGUF, LAYER_GGUF);
    }

    /** The layer index in a canonical name, or -1 for a parameter outside the blocks. */
    public static int layerOf(String canonical) {
        if (!canonical.startsWith("layers.")) return -1;
        int dot = canonical.indexOf('.', 7);
        return Integer.parseInt(canonical.substring(7, dot));
    }

    private static String convert(String canonical, String fromPrefix, String toPrefix,
                                  Map<String, String> global, Map<String, String> layer) {
        String g = global.get(canonical);
        if (g != null) return g;
        if (canonical.startsWith(fromPrefix)) {
            int dot = canonical.indexOf('.', fromPrefix.length());
            if (dot > fromPrefix.length()) {
                String suffix = layer.get(canonical.substring(dot + 1));
                if (suffix != null) return toPrefix + canonical.substring(fromPrefix.length(), dot) + "." + suffix;
            }
        }
        throw new IllegalArgumentException("'" + canonical + "' is not a canonical Llama parameter name");
    }

    private static String invert(String name, String filePrefix, String canonicalPrefix,
                                 Map<String, String> global, Map<String, String> layer) {
        for (Map.Entry<String, String> e : global.entrySet()) if (e.getValue().equals(name)) return e.getKey();
        if (!name.startsWith(filePrefix)) return null;
        int dot = name.indexOf('.', filePrefix.length());
        if (dot < 0) return null;
        String index = name.substring(filePrefix.length(), dot);
        // a plain decimal index without leading zeros, small enough to be a layer
        if (index.isEmpty() || index.length() > 6 || !index.chars().allMatch(c -> c >= '0' && c <= '9')
                || (index.length() > 1 && index.charAt(0) == '0')) {
            return null;
        }
        String suffix = name.substring(dot + 1);
        for (Map.Entry<String, String> e : layer.entrySet()) {
            if (e.getValue().equals(suffix)) return canonicalPrefix + index + "." + e.getKey();
        }
        return null;
    }
}
