package io.piece4j.piece.continual;

import io.piece4j.nn.generate.Generator;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.train.Evaluation;
import io.piece4j.tensor.Autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A probe that needs no data, for any model: before the first task, fixed continuations are sampled from
 * the base model (seeded, temperature 1 from BOS); after every task the current model's mean NLL on them
 * (lower is better, the primary number) and its greedy agreement with the base (the fraction of positions
 * where both models' most likely next token is the same) are measured. A model that keeps its general
 * behaviour keeps both close to the base's.
 */
public final class BaseAgreementProbe implements Probe {
    private static final int BATCH = 8;

    private final List<int[]> samples;        // each (length) sampled tokens after BOS
    private final List<int[]> baseArgmax;     // per sample: the base's most likely next token at every scored position
    private final int bos;

    private BaseAgreementProbe(List<int[]> samples, List<int[]> baseArgmax, int bos) {
        this.samples = samples;
        this.baseArgmax = baseArgmax;
        this.bos = bos;
    }

    /** Samples count continuations of up to length tokens from the base model; deterministic for a seed. */
    public static BaseAgreementProbe sample(LlamaModel base, int count, int length, long seed, int bos, int eos) {
        if (count < 1 || length < 1) throw new IllegalArgumentException("the base-agreement probe needs count >= 1 and length >= 1");
        int len = Math.min(length, base.config().maxSeqLen() - 1);
        List<int[]> samples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Sampler s = new Sampler(1f, 1f, 0, seed * 1_000_003L + i);
            int[] seq = Generator.generate(base, new int[] {bos}, 1 + len, s, bos, eos, null);
            if (seq.length > 1) samples.add(Arrays.copyOfRange(seq, 1, seq.length));
        }
        if (samples.isEmpty()) throw new IllegalStateException("the base model ended every sample at once; cannot build the agreement probe");
        return new BaseAgreementProbe(samples, argmaxes(base, samples, bos), bos);
    }

    @Override public String name() { return "base-agreement"; }

    @Override
    public String describe() {
        return "mean NLL per token on " + samples.size() + " continuations sampled from the base model, and greedy agreement with the base";
    }

    @Override public boolean higherIsBetter() { return false; }

    @Override
    public ProbeScore score(LlamaModel model) {
        double nll = Evaluation.answerLoss(model, LanguageModelBatches.of(samples, bos, BATCH));
        List<int[]> now = argmaxes(model, samples, bos);
        long same = 0, total = 0;
        for (int i = 0; i < now.size(); i++) {
            int[] a = now.get(i), b = baseArgmax.get(i);
            for (int t = 0; t < a.length; t++) { if (a[t] == b[t]) same++; total++; }
        }
        Map<String, Double> parts = new LinkedHashMap<>();
        parts.put("nll", nll);
        parts.put("agreement", (double) same / total);
        return new ProbeScore(nll, parts);
    }

    /** Per sample, the most likely next token at each scored position (lowest id on ties). */
    private static List<int[]> argmaxes(LlamaModel model, List<int[]> samples, int bos) {
        List<int[]> out = new ArrayList<>();
        int vocab = model.config().vocabSize();
        try (var s = Autograd.noGrad()) {
            for (TokenBatch b : LanguageModelBatches.of(samples, bos, BATCH)) {
                float[] logits = model.forward(b.tokens(), b.batch(), b.seq()).toArray(); // (batch * seq, vocab)
                for (int r = 0; r < b.batch(); r++) {
                    int n = 0;
                    for (int t = 0; t < b.seq(); t++) if (b.targets()[r * b.seq() + t] >= 0) n++;
                    int[] arg = new int[n];
                    for (int t = 0; t < n; t++) {
                        int row = r * b.seq() + t;
                        int best = 0;
                        for (int v = 1; v < vocab; v++) if (logits[row * vocab + v] > logits[row * vocab + best]) best = v;
                        arg[t] = best;
                    }
                    out.add(arg);
                }
            }
        }
        return out;
    }
}
