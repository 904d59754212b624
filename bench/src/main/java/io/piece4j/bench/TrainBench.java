package io.piece4j.bench;

import io.piece4j.cli.RunRecord;
import io.piece4j.nn.model.CompactGradients;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.optim.AdamW;
import io.piece4j.nn.optim.GradientClipping;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceAccumulator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.ActivationArena;
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
    @Option(names = "--config", description = "a named shape with random seeded weights: stories15M, stories110M, tinyllama-1.1B, tiny")
    String config;
    @Option(names = "--backend") String backend;
    @Option(names = "--threads", defaultValue = "0") int threads;
    @Option(names = "--batch", defaultValue = "8") int batch;
    @Option(names = "--seq", defaultValue = "256") int seq;
    @Option(names = "--mode", defaultValue = "masked", description = "full, masked or importance") String mode;
    @Option(names = "--ratio", defaultValue = "0.001") double ratio;
    @Option(names = "--steps", defaultValue = "3", description = "timed steps (after the warm-up steps)") int steps;
    @Option(names = "--warmup", defaultValue = "2", description = "untimed steps first: the JIT compiles the kernels (until then the "
            + "Vector API allocates) and the activation arena fills") int warmup;
    @Option(names = "--gradients", defaultValue = "compact", description = "masked mode: compact (the k masked gradients only, no buffer "
            + "of the model's size), flat (sampled gradients in a flat buffer of P) or dense (every weight gradient, a flat buffer of P)")
    String gradients;
    @Option(names = "--dense-grad", description = "masked mode: the same as --gradients dense") boolean denseGrad;
    @Option(names = "--mask", defaultValue = "importance", description = "masked mode: importance (PIECE-S on the batch; G and H are two "
            + "buffers of P) or random (k coordinates drawn uniformly from the eligible ones: nothing of P, for models that only fit "
            + "without them)") String maskSource;
    @Option(names = "--reference", defaultValue = "full", description = "masked mode: full (time a dense step as the reference) or none")
    String referenceMode;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--no-arena", description = "allocate every step's tensors afresh instead of reusing them (to compare)") boolean noArena;
    @Option(names = "--json") boolean json;

    @Override
    public Integer call() throws Exception {
        if (!List.of("full", "masked", "importance").contains(mode)) throw new IllegalArgumentException("--mode must be full, masked or importance, got " + mode);
        if (denseGrad) gradients = "dense";
        if (!List.of("compact", "flat", "dense").contains(gradients)) throw new IllegalArgumentException("--gradients must be compact, flat or dense, got " + gradients);
        if (!List.of("importance", "random").contains(maskSource)) throw new IllegalArgumentException("--mask must be importance or random, got " + maskSource);
        if (!List.of("full", "none").contains(referenceMode)) throw new IllegalArgumentException("--reference must be full or none, got " + referenceMode);
        if (steps < 1 || warmup < 0) throw new IllegalArgumentException("--steps must be at least 1 and --warmup at least 0");
        try (Backend be = Backends.create(backend, threads)) {
            long t0 = System.nanoTime();
            LlamaModel m = BenchModels.load(model, config, be, seed);
            double setupSeconds = (System.nanoTime() - t0) / 1e9;
            if (seq > m.config().maxSeqLen()) throw new IllegalArgumentException("--seq " + seq + " exceeds the model's max_seq_len " + m.config().maxSeqLen());
            Rng rng = new Rng(seed);
            TokenBatch data = randomBatch(rng, m.config().vocabSize(), batch, seq);
            long p = m.layout().size();
            ActivationArena arena = noArena ? null : new ActivationArena(be);
            JvmCounters.resetPeakHeap();

            StepCost cost;
            double reference = Double.NaN;
            long stateBytes, gradientBytes;
            String referenceName = "none";
            Mask mask = null;
            switch (mode) {
                case "full" -> {
                    Tensor grads = m.enableGradients(), params = m.parameters();
                    params.setGrad(grads);
                    AdamW opt = new AdamW(List.of(params), new AdamW.Settings(1e-5f, 0.9f, 0.95f, 1e-8f, 0f));
                    cost = measure(inArena(arena, () -> fullStep(m, data, opt)), warmup, steps);
                    stateBytes = opt.stateBytes();
                    gradientBytes = grads.numel() * Float.BYTES;
                }
                case "masked" -> {
                    mask = maskSource.equals("random") ? randomMask(m, ratio, seed)
                            : ImportanceEstimation.run(m, List.of(data), Estimator.PIECE_S, ratio, "bench", batch).mask();
                    Tensor params = m.parameters();
                    if (referenceMode.equals("full")) {
                        Tensor grads = m.enableGradients();
                        params.setGrad(grads);
                        AdamW dense = new AdamW(List.of(params), new AdamW.Settings(1e-5f, 0.9f, 0.95f, 1e-8f, 0f));
                        m.setTrainableIndices(null);
                        reference = measure(inArena(arena, () -> fullStep(m, data, dense)), warmup, steps).seconds();
                        referenceName = "full step (dense backward + AdamW)";
                    }
                    MaskedAdamW opt;
                    Runnable step;
                    if (gradients.equals("compact")) {
                        CompactGradients cg = m.trainCompact(mask.indices());
                        opt = new MaskedAdamW(params, cg, mask, MaskedAdamW.Settings.piece());
                        step = () -> {
                            cg.zero();
                            m.loss(data.tokens(), data.targets(), batch, seq).backward();
                            cg.collect();
                            opt.step(1e-5f);
                            finish(params);
                        };
                        gradientBytes = cg.bytes();
                    } else {
                        Tensor grads = m.enableGradients();
                        m.setTrainableIndices(gradients.equals("dense") ? null : mask.indices());
                        opt = new MaskedAdamW(params, grads, mask, MaskedAdamW.Settings.piece());
                        step = () -> {
                            grads.zero();
                            m.loss(data.tokens(), data.targets(), batch, seq).backward();
                            opt.step(1e-5f);
                            finish(params);
                        };
                        gradientBytes = grads.numel() * Float.BYTES;
                    }
                    cost = measure(inArena(arena, step), warmup, steps);
                    stateBytes = opt.stateBytes();
                    System.out.printf("mask (%s): k = %d of %d parameters; MaskedAdamW state %d bytes vs dense AdamW %d bytes (%.4f %%); "
                                    + "gradients (%s) %d bytes%n", maskSource, mask.size(), p, stateBytes, 2L * p * Float.BYTES,
                            100.0 * stateBytes / (2.0 * p * Float.BYTES), gradients, gradientBytes);
                }
                default -> {
                    Tensor grads = m.enableGradients();
                    m.setTrainableIndices(null);
                    reference = measure(inArena(arena, () -> {
                        grads.zero();
                        m.loss(data.tokens(), data.targets(), batch, seq).backward();
                        finish(grads);
                    }), warmup, steps).seconds();
                    ImportanceAccumulator acc = new ImportanceAccumulator(be, p);
                    m.freezeEmbeddings();
                    cost = measure(inArena(arena, () -> {
                        grads.zero();
                        m.loss(data.tokens(), data.targets(), batch, seq).backward();
                        acc.add(grads);
                        finish(acc.h());
                    }), warmup, steps);
                    stateBytes = 2L * p * Float.BYTES; // G and H
                    gradientBytes = grads.numel() * Float.BYTES;
                    referenceName = "plain forward + backward";
                }
            }
            long peakHeap = JvmCounters.peakHeapBytes();
            long liveHeap = JvmCounters.liveHeapBytes();
            long weightBytes = p * Float.BYTES, arenaBytes = arena == null ? 0 : arena.bytesHeld();
            double seconds = cost.seconds(), tps = batch * seq / seconds;
            System.out.printf("train %s: %.3f s/step, %.1f tokens/s on %s%n", mode, seconds, tps, be.description());
            System.out.printf("garbage: %.3f MB allocated per step (all threads), GC %.4f s per step = %.2f %% of step time%n",
                    cost.allocatedBytesPerStep() / 1e6, cost.gcSecondsPerStep(), 100 * cost.gcShare());
            System.out.printf("memory: weights %.1f MB, activations (arena) %s, gradients %.1f MB, optimizer state %.1f MB; heap: %.1f MB live "
                            + "after the steps, peak pools %.1f MB, max %.1f MB%n", weightBytes / 1e6,
                    arena == null ? "off" : String.format("%.1f MB", arenaBytes / 1e6), gradientBytes / 1e6, stateBytes / 1e6,
                    liveHeap / 1e6, peakHeap / 1e6, Runtime.getRuntime().maxMemory() / 1e6);
            if (!Double.isNaN(reference)) {
                System.out.printf("reference (%s): %.3f s/step; ratio %.3f%n", referenceName, reference, seconds / reference);
            }
            if (json) {
                RunRecord r = new RunRecord().put("benchmark", "train").put("mode", mode).put("backend", be.name())
                        .put("threads", be.threads()).put("model", model != null ? model.toString() : config).put("parameters", p)
                        .put("batch", batch).put("seq", seq).put("warmup_steps", warmup).put("steps", steps).put("tokens_per_second", tps)
                        .put("seconds_per_step", seconds).put("setup_seconds", setupSeconds).put("optimizer_state_bytes", stateBytes)
                        .put("dense_adamw_state_bytes", 2L * p * Float.BYTES)
                        .put("allocated_bytes_per_step", cost.allocatedBytesPerStep()).put("gc_seconds_per_step", cost.gcSecondsPerStep())
                        .put("gc_share", cost.gcShare()).put("activation_arena", arena != null).put("activation_arena_bytes", arenaBytes)
                        .put("weight_bytes", weightBytes).put("gradient_bytes", gradientBytes).put("heap_live_bytes", liveHeap)
                        .put("heap_peak_pools_bytes", peakHeap).put("heap_max_bytes", Runtime.getRuntime().maxMemory());
                if (mask != null) r.put("ratio", ratio).put("k", mask.size()).put("mask", maskSource).put("gradients", gradients)
                        .put("sparse_weight_gradients", !gradients.equals("dense"));
                if (!Double.isNaN(reference)) r.put("reference", referenceName).put("reference_seconds_per_step", reference)
                        .put("ratio_vs_reference", seconds / reference);
                System.out.println(r.put("seed", seed).withEnvironment().toJson());
            }
        }
        return 0;
    }

    /**
     * k = floor(ratio * eligible) flat indices drawn uniformly without replacement from the eligible ones (every
     * parameter after the input embeddings), ascending. Needs memory of k only.
     */
    static Mask randomMask(LlamaModel m, double ratio, long seed) {
        long p = m.layout().size(), first = m.layout().get("tok_embeddings").numel(), eligible = p - first;
        int k = Mask.budget(ratio, eligible);
        Rng rng = new Rng(seed ^ 0x5EEDL);
        int[] idx = new int[0];
        while (idx.length < k) { // draw what is missing, then merge and drop repeats
            int[] more = new int[k];
            System.arraycopy(idx, 0, more, 0, idx.length);
            for (int j = idx.length; j < k; j++) more[j] = Math.toIntExact(first + (long) (rng.nextDouble() * eligible));
            java.util.Arrays.sort(more);
            idx = java.util.Arrays.stream(more).distinct().toArray();
        }
        return new Mask(idx, p, eligible, ratio, "random", "bench", "", 0, 0);
    }

    /** The step run inside a step of the arena (its tensors reused by the next), or as it is when there is none. */
    static Runnable inArena(ActivationArena arena, Runnable step) {
        if (arena == null) return step;
        return () -> {
            try (var s = arena.step()) {
                step.run();
            }
        };
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

    /**
     * What the timed steps cost: the median seconds of one, and per step on average the bytes allocated on the heap
     * (every thread) and the seconds spent in garbage collection.
     */
    record StepCost(double seconds, double allocatedBytesPerStep, double gcSecondsPerStep, double meanSeconds) {
        /** The share of step time spent collecting garbage. */
        double gcShare() { return gcSecondsPerStep / meanSeconds; }
    }

    /** Times `steps` runs after `warmup` untimed ones, with the JVM's allocation and collection counters around them. */
    static StepCost measure(Runnable step, int warmup, int steps) {
        for (int i = 0; i < warmup; i++) step.run();
        double[] t = new double[steps];
        JvmCounters before = JvmCounters.now();
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            step.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        double total = (System.nanoTime() - start) / 1e9;
        JvmCounters used = JvmCounters.now().since(before);
        java.util.Arrays.sort(t);
        return new StepCost(t[steps / 2], (double) used.allocatedBytes() / steps, used.gcMillis() / 1e3 / steps, total / steps);
    }
}
