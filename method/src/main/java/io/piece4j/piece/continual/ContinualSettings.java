package io.piece4j.piece.continual;

import io.piece4j.piece.train.TrainSettings;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything besides the model, suite, methods and seeds that decides a continual run's numbers; written
 * into results.json.
 *
 * @param epochs          passes over each task's training data
 * @param batchSize       examples per micro-batch (training)
 * @param accumulation    micro-batches per optimizer step
 * @param lr              learning rate of methods with no entry in lrByMethod
 * @param lrByMethod      learning rate per method name (or method@ratio variant)
 * @param schedule        constant (the paper) or cosine
 * @param warmup          warm-up steps
 * @param clip            global gradient-norm clipping on the trained coordinates (0 = off)
 * @param beta1           AdamW
 * @param beta2           AdamW
 * @param weightDecay     AdamW (0 in the paper), on trained coordinates only
 * @param importanceBatch examples per importance batch (matters for PIECE-S through its +1)
 * @param eligibleNorms   RMSNorm gains may be selected by masks (--eligible all) or not (no-norms)
 * @param untouchedTensorsTrain the original code's quirk: a tensor with no selected entry is trained fully
 * @param checkpointEvery optimizer steps between in-task checkpoints (0 = at each epoch's end only)
 * @param probeSamples    continuations sampled from the base for the base-agreement probe (0 = no such probe)
 * @param probeLength     tokens per sampled continuation
 * @param probeSeed       seed of those samples
 */
public record ContinualSettings(int epochs, int batchSize, int accumulation, float lr, Map<String, Float> lrByMethod,
                                String schedule, int warmup, double clip, float beta1, float beta2, float weightDecay,
                                int importanceBatch, boolean eligibleNorms, boolean untouchedTensorsTrain,
                                int checkpointEvery, int probeSamples, int probeLength, long probeSeed) {
    public ContinualSettings {
        lrByMethod = Map.copyOf(new LinkedHashMap<>(lrByMethod));
        if (importanceBatch < 1) throw new IllegalArgumentException("importance batch must be >= 1, got " + importanceBatch);
        if (probeSamples < 0 || probeLength < 1) throw new IllegalArgumentException("probe samples must be >= 0 and length >= 1");
        for (var e : lrByMethod.entrySet()) {
            if (!(e.getValue() >= 0) || !Float.isFinite(e.getValue())) {
                throw new IllegalArgumentException("--lr " + e.getKey() + "=" + e.getValue() + ": expected a finite learning rate >= 0");
            }
        }
        // the shared fields are checked where they are used (fields are not assigned yet in a compact constructor)
        new TrainSettings(epochs, lr, schedule, warmup, batchSize, accumulation, clip, beta1, beta2, 1e-8f, weightDecay, 1, checkpointEvery, false);
    }

    /** The paper's optimiser settings (constant lr, betas 0.9/0.95, clipping 1.0, no weight decay) for small models. */
    public static ContinualSettings defaults() {
        return new ContinualSettings(3, 8, 1, 1e-4f, Map.of(), "constant", 0, 1.0, 0.9f, 0.95f, 0f, 4, true, false, 0,
                16, 48, 7);
    }

    /** The learning rate of a variant ("piece-s@0.01"), else of its method ("piece-s"), else the default. */
    public float lrFor(String variant, String method) {
        Float v = lrByMethod.get(variant);
        if (v == null) v = lrByMethod.get(method);
        return v != null ? v : lr;
    }

    /** Training settings for one task at a learning rate and seed. */
    public TrainSettings training(float learningRate, long seed) {
        return new TrainSettings(epochs, learningRate, schedule, warmup, batchSize, accumulation, clip, beta1, beta2, 1e-8f,
                weightDecay, seed, checkpointEvery, false);
    }

    /** Copy with other epochs (the demo and tests shorten runs). */
    public ContinualSettings withEpochs(int e) {
        return new ContinualSettings(e, batchSize, accumulation, lr, lrByMethod, schedule, warmup, clip, beta1, beta2, weightDecay,
                importanceBatch, eligibleNorms, untouchedTensorsTrain, checkpointEvery, probeSamples, probeLength, probeSeed);
    }

    public ContinualSettings withLr(float defaultLr, Map<String, Float> byMethod) {
        return new ContinualSettings(epochs, batchSize, accumulation, defaultLr, byMethod, schedule, warmup, clip, beta1, beta2, weightDecay,
                importanceBatch, eligibleNorms, untouchedTensorsTrain, checkpointEvery, probeSamples, probeLength, probeSeed);
    }
}
