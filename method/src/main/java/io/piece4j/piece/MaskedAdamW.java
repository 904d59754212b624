package io.piece4j.piece;

import io.piece4j.nn.model.CompactGradients;
import io.piece4j.tensor.Tensor;

/**
 * AdamW that updates exactly the masked coordinates of the flat parameter buffer. Its moments are k
 * long, not P long, and start at zero for every task (a fresh optimizer per task, as in PIECE).
 * Per coordinate the arithmetic is that of dense AdamW applied to the masked gradient; global norm
 * clipping uses the norm of the masked gradient. Weight decay, if any, applies to masked coordinates
 * only, so every other parameter stays bit-identical whatever the number of steps.
 */
public final class MaskedAdamW {
    public record Settings(float beta1, float beta2, float eps, float weightDecay, double maxGradNorm) {
        /** The paper's settings: betas (0.9, 0.95), weight decay 0, clipping at 1.0. */
        public static Settings piece() { return new Settings(0.9f, 0.95f, 1e-8f, 0f, 1.0); }
    }

    private final Tensor params;        // (P)
    private final Tensor grads;         // (P), or (k) when compact: the gradient of idx[j] at j
    private final boolean compact;
    private final int[] idx;            // (k) ascending flat indices
    private final Tensor m, v;          // (k) each
    private final Settings settings;
    private long step;
    private double lastNorm;

    public MaskedAdamW(Tensor params, Tensor grads, Mask mask, Settings settings) {
        params.checkSameSize(grads);
        if (mask.parameterCount() != params.numel()) {
            throw new IllegalArgumentException("mask is for " + mask.parameterCount() + " parameters, model has " + params.numel());
        }
        this.params = params;
        this.grads = grads;
        this.compact = false;
        this.idx = mask.indices();
        this.settings = settings;
        this.m = Tensor.zeros(params.backend(), Math.max(1, idx.length));
        this.v = Tensor.zeros(params.backend(), Math.max(1, idx.length));
    }

    /**
     * The optimizer of a model trained with compact gradients ({@code LlamaModel.trainCompact}): the gradient of
     * mask index j is grads.values()[j], and no buffer the size of the model exists. Per coordinate the same
     * arithmetic, and the same clipping norm (summed in the same order), as with a flat gradient buffer.
     */
    public MaskedAdamW(Tensor params, CompactGradients grads, Mask mask, Settings settings) {
        if (mask.parameterCount() != params.numel()) {
            throw new IllegalArgumentException("mask is for " + mask.parameterCount() + " parameters, model has " + params.numel());
        }
        if (!java.util.Arrays.equals(grads.indices(), mask.indices())) {
            throw new IllegalArgumentException("the compact gradients are for other indices than the mask's");
        }
        this.params = params;
        this.grads = grads.values();
        this.compact = true;
        this.idx = mask.indices();
        this.settings = settings;
        this.m = Tensor.zeros(params.backend(), Math.max(1, idx.length));
        this.v = Tensor.zeros(params.backend(), Math.max(1, idx.length));
    }

    /**
     * One step at learning rate lr; returns the masked gradient norm before clipping. A NaN or infinite
     * gradient norm throws before anything is updated, so the parameters stay as the last good step left them.
     */
    public double step(float lr) {
        double norm = Math.sqrt(compact ? params.backend().sumOfSquares(grads.rowsNoGrad(0, idx.length))
                : params.backend().sumOfSquaresAt(grads, idx));
        if (!Double.isFinite(norm)) {
            throw new NonFiniteException("gradient norm is " + norm + " at optimizer step " + (step + 1) + "; parameters left unchanged");
        }
        float scale = 1f;
        if (settings.maxGradNorm() > 0) {
            double coef = settings.maxGradNorm() / (norm + 1e-6);
            if (coef < 1.0) scale = (float) coef;
        }
        step++;
        float bias1 = (float) (1 - Math.pow(settings.beta1(), step));
        float bias2 = (float) (1 - Math.pow(settings.beta2(), step));
        if (compact) {
            params.backend().maskedAdamwCompact(params, idx, grads, m, v, lr, settings.beta1(), settings.beta2(), settings.eps(),
                    settings.weightDecay(), bias1, bias2, scale);
        } else {
            params.backend().maskedAdamw(params, grads, idx, m, v, lr, settings.beta1(), settings.beta2(), settings.eps(),
                    settings.weightDecay(), bias1, bias2, scale);
        }
        lastNorm = norm;
        return norm;
    }

    public long stepCount() { return step; }
    public double lastGradNorm() { return lastNorm; }
    public Tensor firstMoment() { return m; }
    public Tensor secondMoment() { return v; }

    /** Restores state saved by a checkpoint. */
    public void restore(long stepCount, float[] mValues, float[] vValues) {
        this.step = stepCount;
        m.copyFrom(mValues);
        v.copyFrom(vValues);
    }

    /** Bytes of optimizer state: two float32 moments per masked coordinate. */
    public long stateBytes() { return 2L * idx.length * Float.BYTES; }
}
