package io.piece4j.bench;

import io.piece4j.cli.RunRecord;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.KvCache;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

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
    @Option(names = "--json") boolean json;

    @Override
    public Integer call() throws Exception {
        try (Backend be = Backends.create(backend, threads)) {
            LlamaModel m = BenchModels.load(model, config, be, seed);
            int n = Math.min(tokens, m.config().maxSeqLen() - 1);
            for (int w = 0; w < warmup; w++) decode(m, n); // JIT compilation and first touch of buffers
            double[] runs = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                decode(m, n);
                runs[r] = (System.nanoTime() - t0) / 1e9;
            }
            java.util.Arrays.sort(runs);
            double secs = runs[repeats / 2]; // the median run
            double tps = n / secs;
            System.out.printf("generate: %d tokens on %s (%s) in %.3f s: %.1f tokens/s%n", n, be.description(),
                    model != null ? model : config, secs, tps);
            if (json) {
                System.out.println(new RunRecord().put("benchmark", "generate").put("backend", be.name()).put("threads", be.threads())
                        .put("model", model != null ? model.toString() : config).put("parameters", m.layout().size())
                        .put("tokens", n).put("seconds", secs).put("warmup_runs", warmup).put("timed_runs", repeats).put("tokens_per_second", tps).put("seed", seed)
                        .withEnvironment().toJson());
            }
        }
        return 0;
    }

    /** Decodes n tokens greedily from BOS with a fresh KV cache. */
    static void decode(LlamaModel m, int n) {
        KvCache cache = new KvCache(m);
        int token = 1;
        for (int i = 0; i < n; i++) token = Sampler.argmax(cache.forward(token));
    }
}
