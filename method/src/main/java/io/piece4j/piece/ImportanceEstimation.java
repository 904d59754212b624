package io.piece4j.piece;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.tensor.ActivationArena;
import io.piece4j.tensor.Tensor;

/**
 * PIECE's importance pass on the current model: for each batch in dataset order, the gradient of the
 * batch's mean answer loss is added to G and its square to H (no parameter update); the scores of the
 * chosen estimator then pick the global top-k. Input embeddings are never eligible.
 */
public final class ImportanceEstimation {
    private ImportanceEstimation() {}

    /** G and H after the pass, and the mask chosen from them. */
    public record Result(ImportanceAccumulator moments, Mask mask) {}

    public static ImportanceAccumulator accumulate(LlamaModel model, Iterable<TokenBatch> batches) {
        Tensor grads = model.enableGradients();
        model.setTrainableIndices(null);
        // embeddings are never selected, so their G and H stay 0 and their scatter-add is skipped
        model.freezeEmbeddings();
        ImportanceAccumulator acc = new ImportanceAccumulator(model.backend(), model.layout().size());
        ActivationArena arena = new ActivationArena(model.backend()); // every batch reuses the first one's activations
        for (TokenBatch b : batches) {
            grads.zero();
            try (var step = arena.step()) {
                model.loss(b.tokens(), b.targets(), b.batch(), b.seq()).backward();
            }
            acc.add(grads);
        }
        if (acc.batches() == 0) throw new IllegalArgumentException("the importance pass got no batch (empty task data?)");
        return acc;
    }

    /** The eligible flat range: everything after the input embeddings (which come first in the layout). */
    public static TopKSelector.Range[] eligible(ParameterLayout layout) {
        return eligible(layout, true);
    }

    /**
     * The eligible flat ranges: every parameter but the input embeddings, and without the RMSNorm gains
     * (the 1-D tensors) when includeNorms is false. Adjacent eligible tensors are merged into one range.
     */
    public static TopKSelector.Range[] eligible(ParameterLayout layout, boolean includeNorms) {
        java.util.List<TopKSelector.Range> out = new java.util.ArrayList<>();
        for (ParameterLayout.Entry e : layout.entries()) {
            if (e.name().equals("tok_embeddings") || !includeNorms && e.shape().length == 1) continue;
            long begin = e.offset(), end = e.offset() + e.numel();
            if (!out.isEmpty() && out.getLast().end() == begin) out.set(out.size() - 1, new TopKSelector.Range(out.getLast().begin(), end));
            else out.add(new TopKSelector.Range(begin, end));
        }
        return out.toArray(TopKSelector.Range[]::new);
    }

    /** How many indices the ranges hold. */
    public static long count(TopKSelector.Range[] ranges) {
        long n = 0;
        for (TopKSelector.Range r : ranges) n += r.end() - r.begin();
        return n;
    }

    /** Selects the top max(1, floor(ratio * eligible)) by the estimator's score. */
    public static Mask select(ImportanceAccumulator acc, ParameterLayout layout, Estimator estimator, double ratio,
                              String task, String modelHash, int batchSize) {
        return select(acc, layout, eligible(layout), estimator, ratio, task, modelHash, batchSize);
    }

    /** Selects the top max(1, floor(ratio * eligible)) of the eligible ranges by the estimator's score. */
    public static Mask select(ImportanceAccumulator acc, ParameterLayout layout, TopKSelector.Range[] eligible, Estimator estimator,
                              double ratio, String task, String modelHash, int batchSize) {
        long eligibleCount = count(eligible);
        int k = Mask.budget(ratio, eligibleCount);
        Tensor g = acc.g(), h = acc.h();
        float[] hBuf = new float[1 << 16];
        TopKSelector.ScoreSource scores = (start, dst, len) -> {
            g.backend().read(g.storage(), g.offset() + start, dst, 0, len);
            h.backend().read(h.storage(), h.offset() + start, hBuf, 0, len);
            for (int i = 0; i < len; i++) dst[i] = estimator.score(dst[i], hBuf[i]);
        };
        int[] idx = TopKSelector.select(scores, eligible, k);
        return new Mask(idx, layout.size(), eligibleCount, ratio, estimator.cliName(), task, modelHash, acc.batches(), batchSize);
    }

    public static Result run(LlamaModel model, Iterable<TokenBatch> batches, Estimator estimator, double ratio, String task, int batchSize) {
        String hash = ModelFingerprint.of(model.parameters());
        ImportanceAccumulator acc = accumulate(model, batches);
        return new Result(acc, select(acc, model.layout(), estimator, ratio, task, hash, batchSize));
    }
}
