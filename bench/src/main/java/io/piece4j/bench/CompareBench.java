package io.piece4j.bench;

import io.piece4j.bench.ComparisonTable.Direction;
import io.piece4j.cli.RunRecord;
import io.piece4j.nn.model.DecodingPrecision;
import io.piece4j.nn.model.DecodingWeights;
import io.piece4j.nn.model.KvCache;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.PackedDecoder;
import io.piece4j.nn.model.TokenDecoder;
import io.piece4j.nn.optim.AdamW;
import io.piece4j.piece.Estimator;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * piece4j against the machine's limits and against OpenBLAS, PyTorch and (if given) llama2.c, on the
 * same shapes, back to back in one run, so that every ratio compares figures measured minutes apart on
 * the same (possibly busy) machine.
 *
 * <p>References: a streaming-read bandwidth test and an FMA peak loop (C, built with gcc -march=native),
 * OpenBLAS SGEMM (C, Debian libopenblas-dev), a PyTorch script (Debian python3-torch) for the training
 * step, the importance pass, the masked step and generation, and llama2.c's run. OpenBLAS (directly and
 * under PyTorch) gets the best kernels for this processor: OPENBLAS_CORETYPE is set for the reference
 * commands only and OPENBLAS_L2_SIZE is unset for them; the table names the kernels that ran. A
 * reference that cannot be built, installed or run is reported as missing and piece4j's figures still
 * print.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "piece4j vs the memory bound, the FMA peak, OpenBLAS SGEMM, PyTorch (train, importance, masked, generate) and llama2.c.")
final class CompareBench implements Callable<Integer> {
    @Option(names = "--backend", description = "piece4j backend for the model jobs and the first SGEMM column (default: -Dpiece.backend, PIECE_BACKEND, else the best)")
    String backend;
    @Option(names = "--threads", defaultValue = "0", description = "threads for piece4j and every reference (default: all cores)") int threads;
    @Option(names = "--matmul-backends", split = ",", description = "backends whose SGEMM is measured (default: the chosen backend, then ejml)")
    List<String> matmulBackends;
    @Option(names = "--sizes", split = ",", defaultValue = "1024,2048", description = "square SGEMM sizes") int[] sizes;
    @Option(names = "--layouts", split = ",", defaultValue = "nn,nt,tn", description = "SGEMM layouts: nn, nt (B transposed), tn (A transposed)")
    List<String> layouts;
    @Option(names = "--config", defaultValue = "stories15M", description = "model shape (random seeded weights): stories15M, stories110M or tiny") String config;
    @Option(names = "--batch", defaultValue = "8") int batch;
    @Option(names = "--seq", defaultValue = "256") int seq;
    @Option(names = "--steps", defaultValue = "3", description = "timed training steps per job (after the warm-up steps); the median is used")
    int steps;
    // one warm-up step left the Vector API kernels to the interpreter and C1: the full step then timed 3.5 s against
    // 1.2 s once C2 had compiled them (stories15M, 8 x 256, 2 threads, a quiet 2-core machine)
    @Option(names = "--warmup", defaultValue = "3", description = "untimed training steps before each piece4j job's timed ones, so the JIT has compiled the kernels")
    int warmup;
    @Option(names = "--importance-batches", defaultValue = "16") int importanceBatches;
    @Option(names = "--ratio", defaultValue = "0.001", description = "PIECE's mask ratio r") double ratio;
    @Option(names = "--gen-tokens", defaultValue = "200", description = "tokens decoded per generation run") int genTokens;
    @Option(names = "--stream-mib", defaultValue = "1024", description = "buffer of the bandwidth test, MiB (far larger than the caches)") int streamMib;
    @Option(names = "--fma-iterations", defaultValue = "100", description = "millions of iterations of the FMA peak loop per repeat") int fmaIterations;
    @Option(names = "--parts", split = ",", defaultValue = "machine,sgemm,model",
            description = "what to run: machine (bandwidth, FMA peak), sgemm, model (train, importance, masked, generate),"
                    + " generate (only decoding: fp32, bf16 and q8 weights, and the read bandwidth that bounds it)")
    List<String> parts;
    @Option(names = "--python", description = "the Python with Debian's python3-torch (default: /usr/bin/python3 if present, else python3)")
    String python;
    @Option(names = "--llama2c", description = "a llama2.c checkout with its run (and runq) built: adds their decoding speed") Path llama2c;
    @Option(names = "--llama2c-q8-model", description = "a version-2 (Q8_0) llama2.c export of the same shape, for runq") Path llama2cQ8;
    @Option(names = "--cache", description = "where the reference programs are built (default: ~/.cache/piece4j/bench-reference)") Path cache;
    @Option(names = "--no-install", description = "never apt-get install a missing reference") boolean noInstall;
    @Option(names = "--seed", defaultValue = "1") long seed;
    @Option(names = "--json", description = "print one JSON object as the last line of stdout") boolean json;

    private final Map<String, RunRecord> references = new LinkedHashMap<>();
    private final Map<String, Object> figures = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (warmup < 0 || steps < 1) throw new IllegalArgumentException("--warmup must be >= 0 and --steps >= 1, got " + warmup + " and " + steps);
        for (String l : layouts) if (!l.matches("nn|nt|tn")) throw new IllegalArgumentException("--layouts: expected nn, nt or tn, got " + l);
        for (String p : parts) if (!List.of("machine", "sgemm", "model", "generate").contains(p)) {
            throw new IllegalArgumentException("--parts: expected machine, sgemm, model or generate, got " + p);
        }
        MachineInfo machine = MachineInfo.detect();
        ReferencePrograms refs = new ReferencePrograms(cache != null ? cache : ReferencePrograms.defaultCache(), !noInstall);
        ComparisonTable table = new ComparisonTable();
        String backendName;
        int t;
        try (Backend probe = Backends.create(backend, threads)) {
            backendName = probe.name();
            t = probe.threads();
        }
        Map<String, String> refEnv = referenceEnvironment(machine, t);
        progress("machine: " + machine.describe() + "; piece4j backend " + backendName + ", " + t + " threads; references run with "
                + ReferencePrograms.describe(List.of(), refEnv).strip());

        double bandwidth = Double.NaN, peak = Double.NaN;
        if (parts.contains("machine") || parts.contains("model")) {
            bandwidth = streamBandwidth(refs, refEnv);
            peak = fmaPeak(refs, refEnv);
        } else if (parts.contains("generate")) {
            bandwidth = streamBandwidth(refs, refEnv);
        }
        if (parts.contains("sgemm")) sgemm(refs, refEnv, table, backendName, t, peak);
        if (parts.contains("model")) model(refs, refEnv, table, backendName, t, bandwidth, peak);
        else if (parts.contains("generate")) generateOnly(refs, refEnv, table, backendName, t, bandwidth);

        String md = table.toMarkdown();
        System.out.println();
        System.out.println("Machine: " + machine.describe() + "; piece4j on " + backendName + ", " + t + " threads; config " + config
                + ", batch " + batch + " x " + seq + ".");
        System.out.println();
        System.out.print(md);
        System.out.println();
        System.out.println("References:");
        references.forEach((name, r) -> System.out.println("- " + name + ": " + r.toJson()));
        if (json) {
            List<RunRecord> refList = new ArrayList<>();
            references.forEach((name, r) -> refList.add(new RunRecord().put("name", name).put("result", r)));
            System.out.println(new RunRecord().put("benchmark", "compare").put("backend", backendName).put("threads", t)
                    .put("cpu_model", machine.cpuModel()).put("cores", machine.cores()).put("avx512", machine.hasAvx512())
                    .put("config", config).put("batch", batch).put("seq", seq).put("steps", steps).put("warmup", warmup).put("activation_arena", true)
                    .put("importance_batches", importanceBatches).put("ratio", ratio).put("gen_tokens", genTokens)
                    .put("reference_environment", ReferencePrograms.describe(List.of(), refEnv).strip())
                    .put("figures", figures).put("references", refList).put("rows", table.toRecords()).put("seed", seed)
                    .withEnvironment().toJson());
        }
        return 0;
    }

    private static void progress(String line) {
        System.err.println("bench compare: " + line);
    }

    /**
     * The environment of every reference command: thread counts, and OpenBLAS's best kernels for this
     * processor (OPENBLAS_CORETYPE set, OPENBLAS_L2_SIZE removed; this machine's defaults may force
     * older kernels for the sake of other programs). Null values are removed from the environment.
     */
    static Map<String, String> referenceEnvironment(MachineInfo machine, int threads) {
        Map<String, String> env = new HashMap<>();
        env.put("OMP_NUM_THREADS", String.valueOf(threads));
        env.put("OPENBLAS_NUM_THREADS", String.valueOf(threads));
        env.put("OPENBLAS_CORETYPE", machine.openBlasCoreType());
        env.put("OPENBLAS_L2_SIZE", null);
        return env;
    }

    // ---------------------------------------------------------------- the machine's limits

    private double streamBandwidth(ReferencePrograms refs, Map<String, String> env) throws InterruptedException {
        progress("streaming-read bandwidth (C, " + streamMib + " MiB, 12 passes) ...");
        ReferencePrograms.Outcome o = runStream(refs, env, 12);
        RunRecord r = record(o);
        references.put("stream_read", r);
        if (!o.ran()) return Double.NaN;
        double best = number(o.lines().getFirst(), "best_gbps");
        figures.put("stream_best_gbps", best);
        progress(String.format(Locale.ROOT, "  read bandwidth %.1f GB/s (best pass)", best));
        figures.put("stream_median_gbps", number(o.lines().getFirst(), "median_gbps"));
        return best;
    }

    /** stream_read.c over --stream-mib MiB, the given number of passes. */
    private ReferencePrograms.Outcome runStream(ReferencePrograms refs, Map<String, String> env, int passes) throws InterruptedException {
        try {
            Path bin = refs.build("stream_read.c", List.of("-O3", "-march=native", "-fopenmp", "--"));
            return refs.runJson(List.of(bin.toString(), String.valueOf(streamMib), String.valueOf(passes)), env, 600);
        } catch (IOException e) {
            return ReferencePrograms.Outcome.missing(e.getMessage(), "gcc stream_read.c");
        }
    }

    /**
     * The read bandwidth right now, in GB/s (best of 4 passes), for the memory bound of one decoding round; NaN if the
     * test cannot run. On a shared machine the bandwidth moves within minutes (31.5 to 53 GB/s in one hour on the Zen 4
     * test machine), so a bound taken once, minutes before decoding, made the ratio follow the host more than the code.
     */
    private double bandwidthNow(ReferencePrograms refs, Map<String, String> env) {
        try {
            ReferencePrograms.Outcome o = runStream(refs, env, 4);
            return o.ran() ? number(o.lines().getFirst(), "best_gbps") : Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    private double fmaPeak(ReferencePrograms refs, Map<String, String> env) throws InterruptedException {
        progress("FMA peak (C loop) ...");
        ReferencePrograms.Outcome o;
        try {
            Path bin = refs.build("fma_peak.c", List.of("-O2", "-march=native", "-fopenmp", "--"));
            o = refs.runJson(List.of(bin.toString(), String.valueOf(fmaIterations), "7"), env, 600);
        } catch (IOException e) {
            o = ReferencePrograms.Outcome.missing(e.getMessage(), "gcc fma_peak.c");
        }
        references.put("fma_peak", record(o));
        if (!o.ran()) return Double.NaN;
        double best = number(o.lines().getFirst(), "best_gflops");
        figures.put("fma_peak_best_gflops", best);
        progress(String.format(Locale.ROOT, "  FMA peak %.1f GFLOP/s (best repeat)", best));
        figures.put("fma_peak_isa", o.lines().getFirst().get("isa"));
        return best;
    }

    // ---------------------------------------------------------------- SGEMM

    private void sgemm(ReferencePrograms refs, Map<String, String> env, ComparisonTable table, String backendName, int t, double peak)
            throws InterruptedException {
        progress("OpenBLAS SGEMM ...");
        Path[] bin = new Path[1];
        String missing = refs.ensure("OpenBLAS SGEMM", List.of("libopenblas-dev"), () -> {
            try {
                bin[0] = refs.build("sgemm_openblas.c", List.of("-O2", "--", "-lopenblas"));
                return null;
            } catch (IOException e) {
                return "OpenBLAS SGEMM cannot be built: " + e.getMessage();
            }
        });
        List<String> shapes = new ArrayList<>();
        for (int n : sizes) for (String l : layouts) shapes.add(n + ":" + l);
        List<String> backends = matmulBackends != null ? matmulBackends : new ArrayList<>(List.of(backendName));
        if (matmulBackends == null && !backendName.equals("ejml")) backends.add("ejml");
        // OpenBLAS runs one shape at a time, right before piece4j's measurement of the same shape: on a shared host whose
        // speed drifts over minutes, a ratio of two figures taken seconds apart moves less than one of figures taken
        // minutes apart (all of OpenBLAS's shapes first, then all of piece4j's)
        List<Map<String, Object>> blasLines = new ArrayList<>();
        Map<String, Double> blas = new HashMap<>();
        String kernels = "missing", whyMissing = missing, firstCommand = null;
        for (String be : backends) {
            for (String shape : shapes) {
                int n = Integer.parseInt(shape.substring(0, shape.indexOf(':')));
                String layout = shape.substring(shape.indexOf(':') + 1);
                if (be.equals(backends.getFirst()) && whyMissing == null) {
                    ReferencePrograms.Outcome one = refs.runJson(List.of(bin[0].toString(), shape), env, 1800);
                    if (firstCommand == null) firstCommand = one.command();
                    if (!one.ran()) {
                        whyMissing = one.missing();
                    } else {
                        for (Map<String, Object> line : one.lines()) {
                            if (!line.containsKey("size")) {
                                kernels = String.valueOf(line.get("core"));
                                if (blasLines.isEmpty()) blasLines.add(line);
                            } else {
                                blasLines.add(line);
                                blas.put(shape, number(line, "median_gflops"));
                            }
                        }
                    }
                }
                progress("piece4j SGEMM " + n + " " + layout + " on " + be + " ...");
                double gflops = MatmulTiming.medianGflops(be, t, n, layout), ref = blas.getOrDefault(shape, Double.NaN);
                figures.put("sgemm_" + be + "_" + n + "_" + layout + "_gflops", gflops);
                progress(String.format(Locale.ROOT, "  %.1f GFLOP/s (OpenBLAS %s)", gflops, ComparisonTable.fmt(ref)));
                String measure = "SGEMM " + n + "^3 " + layout + ", " + be, reference = "OpenBLAS, " + kernels + " kernels";
                if (be.equals(backendName)) table.add(measure, "GFLOP/s", gflops, reference, ref, Direction.AT_LEAST, 0.95, "");
                else table.info(measure, "GFLOP/s", gflops, reference, ref, "comparison point");
            }
        }
        String command = firstCommand == null ? "gcc sgemm_openblas.c -lopenblas"
                : firstCommand + (shapes.size() > 1 ? "; then " + String.join(", ", shapes.subList(1, shapes.size())) : "")
                + " (one shape per run, each right before piece4j's)";
        ReferencePrograms.Outcome o = whyMissing != null ? ReferencePrograms.Outcome.missing(whyMissing, command)
                : new ReferencePrograms.Outcome(blasLines, null, command);
        references.put("openblas_sgemm", record(o));
        if (o.ran() && !blasLines.isEmpty()) {
            figures.put("openblas_core", kernels);
            figures.put("openblas_config", blasLines.getFirst().get("config"));
        }
        if (Double.isFinite(peak) && sizes.length > 0) {
            String key = "sgemm_" + backendName + "_" + sizes[sizes.length - 1] + "_" + layouts.getFirst() + "_gflops";
            if (figures.get(key) instanceof Double g) {
                table.info("SGEMM " + sizes[sizes.length - 1] + "^3 " + layouts.getFirst() + ", " + backendName + " vs FMA peak",
                        "GFLOP/s", g, "FMA peak, C loop", peak, "");
            }
        }
    }

    // ---------------------------------------------------------------- the model's jobs

    private void model(ReferencePrograms refs, Map<String, String> env, ComparisonTable table, String backendName, int t,
                       double bandwidth, double peak) throws Exception {
        var cfg = BenchModels.named(config);
        if (seq > cfg.maxSeqLen()) throw new IllegalArgumentException("--seq " + seq + " exceeds " + config + "'s max_seq_len " + cfg.maxSeqLen());
        double full, importance, masked, generate;
        Generation gen;
        long p;
        int genN = Math.min(genTokens, cfg.maxSeqLen() - 1);
        try (Backend be = Backends.create(backendName, t)) {
            LlamaModel m = BenchModels.load(null, config, be, seed);
            p = m.layout().size();
            Rng rng = new Rng(seed);
            TokenBatch data = TrainBench.randomBatch(rng, cfg.vocabSize(), batch, seq);
            Tensor grads = m.enableGradients();
            Tensor params = m.parameters();
            params.setGrad(grads);

            // steps run in an activation arena, as the Trainer runs them: without it every step allocates its activations
            // afresh (about 2 GB here) and a quarter of the step goes to collecting them
            ActivationArena arena = new ActivationArena(be);
            progress("piece4j full training step (" + warmup + " warm-up, " + steps + " timed) ...");
            AdamW dense = new AdamW(List.of(params), new AdamW.Settings(1e-5f, 0.9f, 0.95f, 1e-8f, 0f));
            full = TrainBench.measure(TrainBench.inArena(arena, () -> TrainBench.fullStep(m, data, dense)), warmup, steps).seconds();

            progress("piece4j importance pass (PIECE-S, " + importanceBatches + " batches) ...");
            List<TokenBatch> batches = new ArrayList<>();
            for (int i = 0; i < importanceBatches; i++) batches.add(TrainBench.randomBatch(rng, cfg.vocabSize(), batch, seq));
            long t0 = System.nanoTime();
            Mask mask = ImportanceEstimation.run(m, batches, Estimator.PIECE_S, ratio, "bench", batch).mask();
            importance = (System.nanoTime() - t0) / 1e9;

            progress("piece4j masked step (k = " + mask.size() + ", " + warmup + " warm-up, " + steps + " timed) ...");
            m.setTrainableIndices(mask.indices());
            MaskedAdamW opt = new MaskedAdamW(params, grads, mask, MaskedAdamW.Settings.piece());
            masked = TrainBench.measure(TrainBench.inArena(arena, () -> {
                grads.zero();
                m.loss(data.tokens(), data.targets(), batch, seq).backward();
                opt.step(1e-5f);
            }), warmup, steps).seconds();
            m.setTrainableIndices(null);
            figures.put("mask_k", mask.size());

            gen = measureGeneration(be, m, genN, () -> bandwidthNow(refs, env));
            generate = gen.fp32();
        }
        progress(String.format(Locale.ROOT, "  piece4j: full %.2f s/step, importance %.1f s, masked %.2f s/step, generation %.0f tokens/s",
                full, importance, masked, generate));
        double tokensPerStep = batch * seq;
        figures.put("parameters", p);
        figures.put("full_seconds_per_step", full);
        figures.put("full_tokens_per_second", tokensPerStep / full);
        figures.put("importance_seconds", importance);
        figures.put("masked_seconds_per_step", masked);
        gen.record(figures);

        Map<String, Object> torch = pytorch(refs, env, cfg, t, genN);
        String torchName = torch == null ? "PyTorch" : "PyTorch " + torch.get("torch") + blasNote(torch);
        double tFull = torchNumber(torch, "full_seconds_per_step"), tImp = torchNumber(torch, "importance_seconds");
        double tMasked = torchNumber(torch, "masked_seconds_per_step"), tGen = torchNumber(torch, "generate_tokens_per_second");
        String shape = config + ", " + batch + "x" + seq;

        table.add("training step, full (" + shape + ")", "tokens/s", tokensPerStep / full, torchName, tokensPerStep / tFull,
                Direction.AT_LEAST, 3, "");
        double modelGflops = 6.0 * p * tokensPerStep / full / 1e9;
        table.add("training step, full: model FLOPs (6 N per token)", "GFLOP/s", modelGflops, "FMA peak, C loop", peak,
                Direction.AT_LEAST, 0.45, "");
        table.add("masked PIECE step (r = " + ratio + ") vs piece4j's full step", "s/step", masked, "piece4j full step", full,
                Direction.AT_MOST, 0.6, "");
        table.add("masked PIECE step (r = " + ratio + ")", "tokens/s", tokensPerStep / masked, torchName + " masked step",
                tokensPerStep / tMasked, Direction.AT_LEAST, 4, "");
        double impTokens = (double) importanceBatches * tokensPerStep;
        table.add("importance pass (PIECE-S, " + importanceBatches + " batches)", "tokens/s", impTokens / importance, torchName,
                impTokens / tImp, Direction.AT_LEAST, 3, "");
        gen.addRows(table, bandwidth, torchName, tGen);
        if (llama2c != null) llama2c(refs, env, table, generate, t, genN);
    }

    /**
     * Batch-1 greedy decoding of one model: fp32 as training holds the model ({@link KvCache}), then the packed decoder
     * with float32, bfloat16 and Q8_0 matrices, right after one another.
     *
     * @param fp32        tokens/s of the fp32 decoding
     * @param packed      tokens/s of the packed decoder per weight type
     * @param packedBytes bytes of weights each type holds
     * @param weightBytes float32 weight bytes read per token (the memory bound's denominator)
     * @param roundGbps   the read bandwidth measured right before each round's fp32 decode (NaN where the test could not run)
     */
    private record Generation(double fp32, Map<DecodingPrecision, Double> packed, Map<DecodingPrecision, Double> packedBytes,
                              double weightBytes, double[] roundGbps) {
        /** The median of the rounds' bandwidths, NaN if any round lacks one. */
        double roundBandwidth() {
            double[] sorted = roundGbps.clone();
            Arrays.sort(sorted); // NaN sorts last
            return Double.isNaN(sorted[sorted.length - 1]) ? Double.NaN : sorted[sorted.length / 2];
        }

        void record(Map<String, Object> figures) {
            figures.put("generate_tokens_per_second", fp32);
            figures.put("weight_bytes_per_token", weightBytes);
            figures.put("generate_round_stream_gbps", roundGbps.clone());
            figures.put("generate_round_stream_median_gbps", roundBandwidth());
            for (DecodingPrecision type : packed.keySet()) {
                figures.put("generate_" + type.label() + "_packed_tokens_per_second", packed.get(type));
                figures.put("generate_" + type.label() + "_packed_weight_bytes", packedBytes.get(type));
            }
        }

        /**
         * The rows: fp32 against the memory bound (and PyTorch, if given), bf16 and q8 against fp32. The bound takes the
         * median of the bandwidths measured beside the decoding rounds, or the run's opening figure if those are missing.
         */
        void addRows(ComparisonTable table, double bandwidth, String torchName, double torchTokensPerSecond) {
            double median = roundBandwidth();
            boolean beside = !Double.isNaN(median);
            String source = beside ? "read bandwidth beside each decoding round (median of " + roundGbps.length + ")" : "read bandwidth";
            String note = String.format(Locale.ROOT, "%.1f MB per token", weightBytes / 1e6);
            if (beside) {
                note += String.format(Locale.ROOT, "; the rounds' bandwidths %.1f-%.1f GB/s", Arrays.stream(roundGbps).min().orElseThrow(),
                        Arrays.stream(roundGbps).max().orElseThrow());
            }
            table.add("generation, batch 1, fp32", "tokens/s", fp32, "memory bound: " + source + " / weight bytes per token",
                    (beside ? median : bandwidth) * 1e9 / weightBytes, Direction.AT_LEAST, 0.85, note);
            if (torchName != null) table.info("generation, batch 1, fp32", "tokens/s", fp32, torchName, torchTokensPerSecond, "");
            String reference = "piece4j fp32 generation (above)";
            table.add("generation, batch 1, bf16", "tokens/s", packed.get(DecodingPrecision.BF16), reference, fp32, Direction.AT_LEAST, 1.6,
                    String.format(Locale.ROOT, "%.1f MB of weights", packedBytes.get(DecodingPrecision.BF16) / 1e6));
            table.add("generation, batch 1, q8 (Q8_0)", "tokens/s", packed.get(DecodingPrecision.Q8), reference, fp32, Direction.AT_LEAST, 2.5,
                    String.format(Locale.ROOT, "%.1f MB of weights", packedBytes.get(DecodingPrecision.Q8) / 1e6));
            table.info("generation, batch 1, fp32 in the packed decoder", "tokens/s", packed.get(DecodingPrecision.F32), reference, fp32,
                    "the decoder bf16 and q8 run in, with float32 matrices: its share of their ratios, apart from the weights'");
        }
    }

    /**
     * Every decoder is warmed up first (3 decodes each: JIT compilation of its kernels), the heap is settled
     * ({@link GenerateBench#settleHeap}), then every decoder is timed in 5 interleaved
     * rounds (one decode of each per round) and the median round taken, so that a load that drifts during the run
     * (a shared machine) weighs on every figure alike.
     */
    private Generation measureGeneration(Backend be, LlamaModel m, int genN, DoubleSupplier bandwidthNow) {
        var cfg = m.config();
        long p = m.layout().size();
        // weights read per decoded token: every matrix and norm; the embedding table once more as the head if tied,
        // else one row of it (negligible) plus the untied head
        double weightBytes = 4.0 * (cfg.tiedEmbeddings() ? p : p - (long) cfg.vocabSize() * cfg.dim());
        List<DecodingPrecision> types = List.of(DecodingPrecision.F32, DecodingPrecision.BF16, DecodingPrecision.Q8);
        Map<DecodingPrecision, Double> bytes = new EnumMap<>(DecodingPrecision.class);
        List<Supplier<TokenDecoder>> decoders = new ArrayList<>(List.of(() -> new KvCache(m))); // fp32 first, then the packed types
        for (DecodingPrecision type : types) {
            DecodingWeights w = DecodingWeights.of(m, type);
            bytes.put(type, (double) w.byteSize());
            decoders.add(() -> new PackedDecoder(w, be, DecodingPrecision.F32));
        }
        progress("piece4j generation (" + genN + " tokens): fp32, then f32, bf16 and q8 weights in the packed decoder, 5 interleaved rounds ...");
        for (Supplier<TokenDecoder> d : decoders) GenerateBench.medianSeconds(d, genN, 3, 1);
        GenerateBench.settleHeap();
        int rounds = 5;
        double[][] seconds = new double[decoders.size()][rounds];
        double[] roundGbps = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            roundGbps[r] = bandwidthNow.getAsDouble(); // right before the fp32 decode it bounds
            for (int i = 0; i < decoders.size(); i++) seconds[i][r] = GenerateBench.medianSeconds(decoders.get(i), genN, 0, 1);
        }
        double[] tokensPerSecond = new double[decoders.size()];
        for (int i = 0; i < decoders.size(); i++) {
            Arrays.sort(seconds[i]);
            tokensPerSecond[i] = genN / seconds[i][rounds / 2];
        }
        Map<DecodingPrecision, Double> packed = new EnumMap<>(DecodingPrecision.class);
        for (int i = 0; i < types.size(); i++) packed.put(types.get(i), tokensPerSecond[i + 1]);
        progress(String.format(Locale.ROOT, "  generation: fp32 %.0f tokens/s; packed decoder: f32 %.0f, bf16 %.0f, q8 %.0f tokens/s",
                tokensPerSecond[0], packed.get(DecodingPrecision.F32), packed.get(DecodingPrecision.BF16), packed.get(DecodingPrecision.Q8)));
        progress(String.format(Locale.ROOT, "  read bandwidth beside the rounds: %s GB/s", Arrays.toString(roundGbps)));
        return new Generation(tokensPerSecond[0], packed, bytes, weightBytes, roundGbps);
    }

    /** --parts generate: decoding alone, on the same random model as the model part uses. */
    private void generateOnly(ReferencePrograms refs, Map<String, String> env, ComparisonTable table, String backendName, int t,
                              double bandwidth) throws IOException {
        var cfg = BenchModels.named(config);
        try (Backend be = Backends.create(backendName, t)) {
            LlamaModel m = BenchModels.load(null, config, be, seed);
            Generation gen = measureGeneration(be, m, Math.min(genTokens, cfg.maxSeqLen() - 1), () -> bandwidthNow(refs, env));
            gen.record(figures);
            gen.addRows(table, bandwidth, null, Double.NaN);
        }
    }

    private static String blasNote(Map<String, Object> torch) {
        if (torch.get("blas") instanceof Map<?, ?> b) return ", OpenBLAS " + b.get("core") + " kernels";
        return "";
    }

    private static double torchNumber(Map<String, Object> torch, String key) {
        return torch != null && torch.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** Runs the PyTorch script on the same shape; null when PyTorch is missing (the reason goes in the references). */
    private Map<String, Object> pytorch(ReferencePrograms refs, Map<String, String> env, io.piece4j.nn.LlamaConfig cfg, int t, int genN)
            throws InterruptedException {
        String py = python != null ? python : Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        progress("PyTorch reference (" + py + "; full, importance, masked, generate) ...");
        String missing = refs.ensure("the PyTorch reference", List.of("python3-torch"), () -> {
            try {
                ReferencePrograms.Run r = ReferencePrograms.run(List.of(py, "-c", "import torch"), Map.of(), 120);
                return r.exit() == 0 ? null : py + " cannot import torch";
            } catch (IOException e) {
                return py + " cannot run: " + e.getMessage();
            }
        });
        ReferencePrograms.Outcome o;
        if (missing != null) {
            o = ReferencePrograms.Outcome.missing(missing, py + " torch_reference.py");
        } else {
            Map<String, String> torchEnv = new HashMap<>(env);
            // Debian's PyTorch uses OpenMP; the OpenMP build of OpenBLAS shares its threads instead of adding its own
            Path openmp = Path.of("/usr/lib/x86_64-linux-gnu/openblas-openmp");
            if (Files.isRegularFile(openmp.resolve("libblas.so.3"))) {
                String old = System.getenv("LD_LIBRARY_PATH");
                torchEnv.put("LD_LIBRARY_PATH", openmp + (old == null || old.isBlank() ? "" : ":" + old));
            }
            try {
                Path script = refs.source("torch_reference.py");
                List<String> cmd = List.of(py, script.toString(), "--threads", String.valueOf(t), "--dim", String.valueOf(cfg.dim()),
                        "--layers", String.valueOf(cfg.layers()), "--heads", String.valueOf(cfg.heads()), "--kv-heads", String.valueOf(cfg.kvHeads()),
                        "--hidden", String.valueOf(cfg.hiddenDim()), "--vocab", String.valueOf(cfg.vocabSize()),
                        "--seq-len", String.valueOf(seq), "--batch", String.valueOf(batch), "--steps", String.valueOf(steps),
                        "--importance-batches", String.valueOf(importanceBatches), "--ratio", String.valueOf(ratio),
                        "--gen-tokens", String.valueOf(genN), "--seed", String.valueOf(seed));
                o = refs.runJson(cmd, torchEnv, 3600);
            } catch (IOException e) {
                o = ReferencePrograms.Outcome.missing(e.getMessage(), py + " torch_reference.py");
            }
        }
        references.put("pytorch", record(o));
        return o.ran() ? o.lines().getLast() : null;
    }

    private void llama2c(ReferencePrograms refs, Map<String, String> env, ComparisonTable table, double generate, int t, int genN)
            throws Exception {
        Llama2cReference l2c = new Llama2cReference(llama2c, llama2cQ8, refs.cache());
        for (String program : List.of("run", "runq")) {
            progress("llama2.c " + program + " ...");
            Llama2cReference.Result r = l2c.run(program, config, seed, env, genN);
            references.put("llama2c_" + program, new RunRecord().put("status", r.missing() == null ? "ran" : "missing")
                    .put("reason", r.missing()).put("command", r.command()).put("tokens_per_second", Double.isNaN(r.tokensPerSecond()) ? null : r.tokensPerSecond()));
            table.info("generation, batch 1, fp32", "tokens/s", generate, "llama2.c " + program + (program.equals("runq") ? " (int8 weights)" : ""),
                    r.tokensPerSecond(), t + " threads");
        }
    }

    // ---------------------------------------------------------------- helpers

    private static RunRecord record(ReferencePrograms.Outcome o) {
        RunRecord r = new RunRecord().put("status", o.ran() ? "ran" : "missing").put("command", o.command());
        if (!o.ran()) return r.put("reason", o.missing());
        return r.put("output", o.lines());
    }

    private static double number(Map<String, Object> line, String key) {
        return line.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
