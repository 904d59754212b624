package io.piece4j.nn.generate;

import io.piece4j.tensor.Rng;

import java.util.Arrays;

/**
 * Picks the next token from logits. Temperature 0 is greedy (argmax, the lowest id on ties). Otherwise
 * softmax(logits / temperature), restricted to the topK most likely tokens (0 = all) and then to the
 * smallest set whose probability within those reaches topP (1 = all), renormalised and sampled with a seeded
 * generator. Equal probabilities are ordered by id.
 */
public final class Sampler {
    private final float temperature, topP;
    private final int topK;
    private final Rng rng;

    public Sampler(float temperature, float topP, int topK, long seed) {
        if (temperature < 0 || Float.isNaN(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        this.temperature = temperature;
        this.topP = topP;
        this.topK = topK;
        this.rng = new Rng(seed);
    }

    public static Sampler greedy() { return new Sampler(0f, 1f, 0, 0); }

    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    public int sample(float[] logits) {
        if (temperature == 0f) return argmax(logits);
        int v = logits.length;
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[v];
        double sum = 0;
        for (int i = 0; i < v; i++) { p[i] = Math.exp((logits[i] - max) / temperature); sum += p[i]; }
        for (int i = 0; i < v; i++) p[i] /= sum;
        // candidates by falling probability, ties by id, so the draw is deterministic
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int keep = topK > 0 ? Math.min(topK, v) : v;
        if (topP < 1f) {
            // top-p over the top-k distribution renormalised, as Hugging Face's and llama.cpp's samplers chain them
            double kept = 0;
            for (int i = 0; i < keep; i++) kept += p[order[i]];
            double cum = 0;
            for (int i = 0; i < keep; i++) {
                cum += p[order[i]];
                if (cum >= topP * kept) { keep = i + 1; break; }
            }
        }
        double mass = 0;
        for (int i = 0; i < keep; i++) mass += p[order[i]];
        double u = rng.nextDouble() * mass, cum = 0;
        for (int i = 0; i < keep; i++) {
            cum += p[order[i]];
            if (u < cum) return order[i];
        }
        return order[keep - 1];
    }
}
