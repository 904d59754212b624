package io.piece4j.bench;

import io.piece4j.cli.RunRecord;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.optim.AdamW;
import io.piece4j.nn.optim.GradientClipping;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceAccumulator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Training-step speed in three modes, each with its reference measured in the same run:
 * full (dense backward + dense AdamW), masked (PIECE: sparse weight gradients + MaskedAdamW; reference:
 * a full step), importance (PIECE's scoring pass: backward + G/H accumulation; reference: a plain
 * forward + backward).
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Training step speed: full, masked (PIECE) or importance.")
final class TrainBench implements Callable<Integer> {
    @Option(names = "--model") Path model;
    @Option(names = "--config", description = "stories15M or stories110M with random seeded weights") String config;
    @Option(names = "--backend") String backend;
    @Option(names = "--threads", defaultValue = "0") int threads;
    @Option(names = "--batch", defaultValue = "8") int batch;
    @Option(names = "--seq", defaultValue = "256") int seq;
    @Option(names = "--mode", defaultValue = "masked", description = "full, masked or importance") String mode;
    @Option(names = "--ratio", defaultValue = "0.001") double ratio;
    @Option(names = "--steps", defaultValue = "3", description = "timed steps (after one warm-up step)") int steps;
    @Option(names = "--dense-grad", description = "masked mode: compute dense weight gradients instead of sampled ones") boolean denseGrad;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--json") boolean json;

    @Override
    public Integer call() throws Exception {
        if (!List.of("full", "masked", "importance").contains(mode)) throw new IllegalArgumentException("--mode must be full, masked or importance, got " + mode);
        try (Backend be = Backends.create(backend, threads)) {
            LlamaModel m = BenchModels.load(model, config, be, seed);
            if (seq > m.config().maxSeqLen()) throw new IllegalArgumentException("--seq " + seq + " exceeds the model's max_seq_len " + m.config().maxSeqLen());
            Rng rng = new Rng(seed);
            TokenBatch data = randomBatch(rng, m.config().vocabSize(), batch, seq);
            Tensor grads = m.enableGradients();
            long p = m.layout().size();

            double seconds, reference = Double.NaN;
            long stateBytes;
            String referenceName;
            switch (mode) {
                case "full" -> {
                    Tensor params = m.parameters();
                    params.setGrad(grads);
                    AdamW opt = new AdamW(List.of(params), new AdamW.Settings(1e-5f, 0.9f, 0.95f, 1e-8f, 0f));
                    seconds = time(() -> fullStep(m, data, opt), steps);
                    stateBytes = opt.stateBytes();
                    referenceName = "none";
                }
                case "masked" -> {
                    Mask mask = ImportanceEstimation.run(m, List.of(data), Estimator.PIECE_S, ratio, "bench", batch).mask();
                    Tensor params = m.parameters();
                    params.setGrad(grads);
                    AdamW dense = new AdamW(List.of(params), new AdamW.Settings(1e-5f, 0.9f, 0.95f, 1e-8f, 0f));
                    m.setTrainableIndices(null);
                    reference = time(() -> fullStep(m, data, dense), steps);
                    m.setTrainableIndices(denseGrad ? null : mask.indices());
                    MaskedAdamW opt = new MaskedAdamW(params, grads, mask, MaskedAdamW.Settings.piece());
                    seconds = time(() -> {
                        grads.zero();
                        m.loss(data.tokens(), data.targets(), batch, seq).backward();
                        opt.step(1e-5f);
                        finish(params);
                    }, steps);
                    stateBytes = opt.stateBytes();
                    referenceName = "full step (dense backward + AdamW)";
                    System.out.printf("mask: k = %d of %d parameters; MaskedAdamW state %d bytes vs dense AdamW %d bytes (%.4f %%)%n",
                            mask.size(), p, stateBytes, dense.stateBytes(), 100.0 * stateBytes / dense.stateBytes());
                }
                default -> {
                    m.setTrainableIndices(null);
                    reference = time(() -> {
                        grads.zero();
                        m.loss(data.tokens(), data.targets(), batch, seq).backward();
                        finish(grads);
                    }, steps);
                    ImportanceAccumulator acc = new ImportanceAccumulator(be, p);
                    m.freezeEmbeddings();
                    seconds = time(() -> {
                        grads.zero();
                        m.loss(data.tokens(), data.targets(), batch, seq).backward();
                        acc.add(grads);
                        finish(acc.h());
                    }, steps);
                    stateBytes = 0;
                    referenceName = "plain forward + backward";
                }
            }
            double tps = batch * seq / seconds;
            System.out.printf("train %s: %.3f s/step, %.1f tokens/s on %s%n", mode, seconds, tps, be.description());
            if (!Double.isNaN(reference)) {
                System.out.printf("reference (%s): %.3f s/step; ratio %.3f%n", referenceName, reference, seconds / reference);
            }
            if (json) {
                RunRecord r = new RunRecord().put("benchmark", "train").put("mode", mode).put("backend", be.name())
                        .put("threads", be.threads()).put("model", model != null ? model.toString() : config).put("parameters", p)
                        .put("batch", batch).put("seq", seq).put("steps", steps).put("tokens_per_second", tps)
                        .put("seconds_per_step", seconds).put("optimizer_state_bytes", stateBytes)
                        .put("dense_adamw_state_bytes", 2L * p * Float.BYTES);
                if (mode.equals("masked")) r.put("ratio", ratio).put("k", Mask.budget(ratio, p - m.layout().get("tok_embeddings").numel()))
                        .put("sparse_weight_gradients", !denseGrad);
                if (!Double.isNaN(reference)) r.put("reference", referenceName).put("reference_seconds_per_step", reference)
                        .put("ratio_vs_reference", seconds / reference);
                System.out.println(r.put("seed", seed).withEnvironment().toJson());
            }
        }
        return 0;
    }

    /** batch x seq uniformly random tokens; each row's targets are its tokens shifted by one, the last ignored. */
    static TokenBatch randomBatch(Rng rng, int vocab, int batch, int seq) {
        int[] tokens = new int[batch * seq], targets = new int[batch * seq];
        for (int i = 0; i < tokens.length; i++) tokens[i] = rng.nextInt(vocab);
        for (int i = 0; i < tokens.length; i++) targets[i] = (i + 1) % seq == 0 ? -1 : tokens[i + 1];
        return new TokenBatch(tokens, targets, batch, seq);
    }

    /** One dense training step: forward, backward, clipping at norm 1, AdamW. */
    static void fullStep(LlamaModel m, TokenBatch data, AdamW opt) {
        m.gradients().zero();
        m.loss(data.tokens(), data.targets(), data.batch(), data.seq()).backward();
        GradientClipping.clip(List.of(m.parameters()), 1.0);
        opt.step();
        finish(m.parameters());
    }

    /**
     * Reads one element of t back: a device backend (opencl) runs kernels asynchronously and the read waits
     * for everything enqueued, so a timed step ends when its work has; on the CPU backends it copies one float.
     */
    static void finish(Tensor t) {
        t.backend().read(t.storage(), t.offset(), new float[1], 0, 1);
    }

    /** Median seconds of `steps` timed runs after one warm-up run. */
    static double time(Runnable step, int steps) {
        step.run();
        double[] t = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            step.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        java.util.Arrays.sort(t);
        return t[steps / 2];
    }
}
