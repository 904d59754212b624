package io.piece4j.cli;

import io.piece4j.nn.LlamaConfig;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A model shape for training from scratch, written as a preset name and/or key=value pairs:
 * {@code bundled}, {@code bundled-4x}, {@code dim=256,layers=5,heads=8,hidden=640}, {@code bundled,layers=6}.
 * Keys: dim, layers, heads, kv_heads, head_dim (default dim/heads), hidden, seq (context), vocab,
 * tied (true/false), rope_theta, norm_eps.
 */
final class ModelShape {
    /** The presets; the committed base model is "bundled". */
    static final Map<String, String> PRESETS = new LinkedHashMap<>();
    static {
        // 3.90M parameters: 7.8 MB in float16, under the 8 MB a committed file may take
        PRESETS.put("bundled", "dim=256,layers=5,heads=8,kv_heads=8,hidden=640,seq=256,tied=false");
        // 16.3M parameters: the larger base of the study (4.2x), not committed
        PRESETS.put("bundled-4x", "dim=448,layers=7,heads=8,kv_heads=8,hidden=1152,seq=256,tied=false");
        PRESETS.put("tiny", "dim=32,layers=2,heads=4,kv_heads=2,hidden=48,seq=64,tied=false");
    }

    private ModelShape() {}

    /** The config a spec describes, for a tokenizer of vocabSize ids (unless the spec sets vocab). */
    static LlamaConfig parse(String spec, int vocabSize) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) continue;
            int eq = p.indexOf('=');
            if (eq < 0) {
                String preset = PRESETS.get(p.toLowerCase(Locale.ROOT));
                if (preset == null) {
                    throw new IllegalArgumentException("--config: unknown preset '" + p + "'; expected one of " + PRESETS.keySet()
                            + " or key=value pairs");
                }
                for (String q : preset.split(",")) kv.put(q.substring(0, q.indexOf('=')), q.substring(q.indexOf('=') + 1));
            } else {
                kv.put(p.substring(0, eq).trim().toLowerCase(Locale.ROOT), p.substring(eq + 1).trim());
            }
        }
        for (String k : kv.keySet()) {
            if (!java.util.Set.of("dim", "layers", "heads", "kv_heads", "head_dim", "hidden", "seq", "vocab", "tied", "rope_theta", "norm_eps").contains(k)) {
                throw new IllegalArgumentException("--config: unknown key '" + k + "'; expected dim, layers, heads, kv_heads, head_dim, hidden, seq,"
                        + " vocab, tied, rope_theta, norm_eps");
            }
        }
        int dim = intOf(kv, "dim", null), layers = intOf(kv, "layers", null), heads = intOf(kv, "heads", null);
        int kvHeads = intOf(kv, "kv_heads", heads);
        int headDim = intOf(kv, "head_dim", heads > 0 ? dim / heads : 0);
        int hidden = intOf(kv, "hidden", null), seq = intOf(kv, "seq", null);
        int vocab = intOf(kv, "vocab", vocabSize);
        String tiedText = kv.getOrDefault("tied", "false");
        if (!tiedText.equals("true") && !tiedText.equals("false")) throw new IllegalArgumentException("--config: tied = '" + tiedText + "': expected true or false");
        boolean tied = tiedText.equals("true");
        float theta = floatOf(kv, "rope_theta", 10000f), eps = floatOf(kv, "norm_eps", 1e-5f);
        if (vocab != vocabSize) {
            throw new IllegalArgumentException("--config: vocab = " + vocab + " but the tokenizer has " + vocabSize + " ids");
        }
        return new LlamaConfig(dim, layers, heads, kvHeads, headDim, hidden, vocab, seq, eps, theta, tied,
                LlamaConfig.RopeLayout.INTERLEAVED, null);
    }

    private static int intOf(Map<String, String> kv, String key, Integer fallback) {
        String v = kv.get(key);
        if (v == null) {
            if (fallback == null) throw new IllegalArgumentException("--config: '" + key + "' is missing (give key=value or a preset)");
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--config: " + key + " = '" + v + "': expected an integer");
        }
    }

    private static float floatOf(Map<String, String> kv, String key, float fallback) {
        String v = kv.get(key);
        if (v == null) return fallback;
        try {
            return Float.parseFloat(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--config: " + key + " = '" + v + "': expected a number");
        }
    }
}
