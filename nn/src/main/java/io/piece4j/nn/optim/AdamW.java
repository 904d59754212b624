package io.piece4j.nn.optim;

import io.piece4j.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Dense AdamW over a list of parameters (for a model with one flat parameter buffer, a list of one),
 * computed as torch.optim.AdamW: decoupled weight decay, bias correction, eps outside the square root.
 * State (m and v) is two tensors the size of each parameter, created on the first step.
 */
public final class AdamW {
    public record Settings(float lr, float beta1, float beta2, float eps, float weightDecay) {
        /** PyTorch's defaults except the learning rate. */
        public static Settings defaults(float lr) { return new Settings(lr, 0.9f, 0.999f, 1e-8f, 0.01f); }
    }

    private final List<Tensor> params;
    private final List<Tensor> m = new ArrayList<>(), v = new ArrayList<>();
    private Settings settings;
    private long step;

    public AdamW(List<Tensor> params, Settings settings) {
        this.params = List.copyOf(params);
        this.settings = settings;
    }

    public Settings settings() { return settings; }

    /** Changes the learning rate (a schedule calls this before each step). */
    public void setLearningRate(float lr) {
        settings = new Settings(lr, settings.beta1(), settings.beta2(), settings.eps(), settings.weightDecay());
    }

    public long stepCount() { return step; }

    /** One update of every parameter that has a gradient. */
    public void step() {
        if (m.isEmpty()) {
            for (Tensor p : params) {
                m.add(Tensor.zeros(p.backend(), p.shape()));
                v.add(Tensor.zeros(p.backend(), p.shape()));
            }
        }
        step++;
        float bias1 = (float) (1 - Math.pow(settings.beta1(), step));
        float bias2 = (float) (1 - Math.pow(settings.beta2(), step));
        for (int i = 0; i < params.size(); i++) {
            Tensor p = params.get(i);
            if (p.grad() == null) continue;
            p.backend().adamw(p, p.grad(), m.get(i), v.get(i), settings.lr(), settings.beta1(), settings.beta2(),
                    settings.eps(), settings.weightDecay(), bias1, bias2);
        }
    }

    /** Bytes of optimizer state (m and v). */
    public long stateBytes() {
        long n = 0;
        for (Tensor p : params) n += 2 * p.numel() * Float.BYTES;
        return n;
    }

    public void zeroGrad() {
        for (Tensor p : params) if (p.grad() != null) p.grad().zero();
    }
}
