package io.piece4j.bench;

import io.piece4j.cli.RunRecord;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.DecodingPrecision;
import io.piece4j.nn.model.DecodingWeights;
import io.piece4j.nn.model.KvCache;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.PackedDecoder;
import io.piece4j.nn.model.TokenDecoder;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * Decoding speed with the KV cache: tokens fed one at a time, each choosing the argmax of the previous
 * logits (stops are ignored so every run decodes the same number of tokens). Untimed warm-up runs come
 * first (the JIT needs a few hundred tokens); the median of the timed runs is reported.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Token generation speed (KV cache, greedy).")
final class GenerateBench implements Callable<Integer> {
    @Option(names = "--model", description = "a model file (llama2.c .bin, safetensors, GGUF)") java.nio.file.Path model;
    @Option(names = "--config", description = "a named shape with random seeded weights: stories15M, stories110M") String config;
    @Option(names = "--backend") String backend;
    @Option(names = "--threads", defaultValue = "0") int threads;
    @Option(names = "--tokens", defaultValue = "128", description = "tokens to decode (capped at the model's max_seq_len - 1)") int tokens;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--warmup", defaultValue = "3", description = "untimed decodes of --tokens tokens first") int warmup;
    @Option(names = "--repeats", defaultValue = "3", description = "timed decodes; the median is reported") int repeats;
    @Option(names = "--weights", defaultValue = "f32", description = "f32 (the training model and its KV cache), bf16 or q8 (Q8_0)")
    String weights;
    @Option(names = "--kv-cache", defaultValue = "f32", description = "f32 or bf16 (with bf16 or q8 weights, or f32 through the packed decoder)")
    String kvCache;
    @Option(names = "--json") boolean json;

    @Override
    public Integer call() throws Exception {
        DecodingPrecision weightType = DecodingPrecision.parse("--weights", weights, DecodingPrecision.F32, DecodingPrecision.BF16, DecodingPrecision.Q8);
        DecodingPrecision cacheType = DecodingPrecision.parse("--kv-cache", kvCache, DecodingPrecision.F32, DecodingPrecision.BF16);
        try (Backend be = Backends.create(backend, threads)) {
            LlamaModel m = BenchModels.load(model, config, be, seed);
            int n = Math.min(tokens, m.config().maxSeqLen() - 1);
            boolean trainingModel = weightType == DecodingPrecision.F32 && cacheType == DecodingPrecision.F32;
            DecodingWeights w = trainingModel ? null : DecodingWeights.of(m, weightType);
            Supplier<TokenDecoder> decoders = trainingModel ? () -> new KvCache(m) : () -> new PackedDecoder(w, be, cacheType);
            double secs = medianSeconds(decoders, n, warmup, repeats);
            double tps = n / secs;
            System.out.printf("generate: %d tokens on %s (%s, weights %s, KV cache %s) in %.3f s: %.1f tokens/s%n", n, be.description(),
                    model != null ? model : config, weightType.label(), cacheType.label(), secs, tps);
            if (json) {
                System.out.println(new RunRecord().put("benchmark", "generate").put("backend", be.name()).put("threads", be.threads())
                        .put("model", model != null ? model.toString() : config).put("parameters", m.layout().size())
                        .put("weights", weightType.label()).put("kv_cache", cacheType.label()).put("tokens", n).put("seconds", secs).put("warmup_runs", warmup).put("timed_runs", repeats).put("tokens_per_second", tps).put("seed", seed)
                        .withEnvironment().toJson());
            }
        }
        return 0;
    }

    /** Decodes n tokens greedily from BOS with a fresh KV cache. */
    static void decode(LlamaModel m, int n) {
        decode(new KvCache(m), n);
    }

    /** Decodes n tokens greedily from BOS with a fresh decoder. */
    static void decode(TokenDecoder cache, int n) {
        int token = 1;
        for (int i = 0; i < n; i++) token = Sampler.argmax(cache.forward(token));
    }

    /**
     * A full collection before the timed runs: the weights (tens of MB, hundreds with several decoders) are still in
     * the young generation after loading, and every young collection copied them again, a pause of 35 ms or more each
     * (stories15M, ParallelGC) landing in whichever timed decode it hit. Afterwards they sit in the old generation and
     * a young collection copies only the little a decode keeps.
     */
    static void settleHeap() {
        System.gc();
    }

    /** The median seconds of decoding n tokens with a fresh decoder, after untimed warm-up runs (JIT, first touch of buffers). */
    static double medianSeconds(Supplier<TokenDecoder> decoders, int n, int warmup, int repeats) {
        for (int i = 0; i < warmup; i++) decode(decoders.get(), n);
        if (warmup > 0) settleHeap();
        double[] runs = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            TokenDecoder d = decoders.get();
            long t0 = System.nanoTime();
            decode(d, n);
            runs[r] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(runs);
        return runs[repeats / 2];
    }
}
