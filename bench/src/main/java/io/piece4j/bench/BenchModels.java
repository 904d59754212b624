package io.piece4j.bench;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.tensor.spi.Backend;

import java.io.IOException;
import java.nio.file.Path;

/** Named model shapes for benchmarks that need no file (weights are random and seeded). */
final class BenchModels {
    private BenchModels() {}

    /**
     * llama2.c's stories15M: dim 288, 6 layers, 6 heads, 6 KV heads, hidden 768, vocab 32000, seq 256;
     * stories110M: dim 768, 12 layers, 12 heads, hidden 2048, seq 1024; tinyllama-1.1B: dim 2048, 22 layers,
     * 32 heads, 4 KV heads, hidden 5632, untied head, seq 2048; tiny: dim 64, 2 layers, 4 heads,
     * 2 KV heads, hidden 160, vocab 512, seq 64.
     */
    static LlamaConfig named(String name) {
        return switch (name) {
            case "stories15M" -> new LlamaConfig(288, 6, 6, 6, 48, 768, 32000, 256, 1e-5f, 10000f, true,
                    LlamaConfig.RopeLayout.INTERLEAVED, null);
            case "stories110M" -> new LlamaConfig(768, 12, 12, 12, 64, 2048, 32000, 1024, 1e-5f, 10000f, true,
                    LlamaConfig.RopeLayout.INTERLEAVED, null);
            // TinyLlama-1.1B's config.json: 1,100,048,384 parameters, grouped KV heads (32 / 4), untied head, Hugging Face RoPE
            case "tinyllama-1.1B" -> new LlamaConfig(2048, 22, 32, 4, 64, 5632, 32000, 2048, 1e-5f, 10000f, false,
                    LlamaConfig.RopeLayout.HALF_SPLIT, null);
            // a few seconds on any backend: for smoke runs and the tests of the benchmark commands themselves
            case "tiny" -> new LlamaConfig(64, 2, 4, 2, 16, 160, 512, 64, 1e-5f, 10000f, true,
                    LlamaConfig.RopeLayout.INTERLEAVED, null);
            default -> throw new IllegalArgumentException("unknown --config '" + name + "': expected stories15M, stories110M, tinyllama-1.1B or tiny");
        };
    }

    /** The model of --model FILE, or of --config NAME with N(0, 0.02^2) weights drawn from seed. */
    static LlamaModel load(Path file, String config, Backend be, long seed) throws IOException {
        if ((file == null) == (config == null)) throw new IllegalArgumentException("give exactly one of --model FILE or --config NAME");
        if (file != null) return ModelFiles.load(file, be);
        LlamaModel m = new LlamaModel(named(config), be);
        m.initRandom(seed, 0.02f);
        return m;
    }
}
