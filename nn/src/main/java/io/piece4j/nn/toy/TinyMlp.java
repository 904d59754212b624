package io.piece4j.nn.toy;

import io.piece4j.nn.optim.AdamW;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.CrossEntropy;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.ops.MatMul;
import io.piece4j.tensor.spi.Backend;

import java.util.List;

/**
 * A two-layer perceptron, logits = W2 silu(W1 x + b1) + b2, learning to tell four regions of the plane
 * apart (sign of x*y, and inside or outside a circle): a task no linear model solves. The smallest end-to-end
 * check of autograd plus an optimizer on a backend.
 */
public final class TinyMlp {
    public static final int IN = 2, HIDDEN = 32, CLASSES = 4;

    private final Tensor w1, b1, w2, b2; // (HIDDEN, IN), (HIDDEN), (CLASSES, HIDDEN), (CLASSES)

    public TinyMlp(Backend backend, long seed) {
        Rng rng = new Rng(seed);
        w1 = Tensor.randn(backend, rng, 1.0f, HIDDEN, IN).requireGrad();
        b1 = Tensor.zeros(backend, HIDDEN).requireGrad();
        w2 = Tensor.randn(backend, rng, (float) (1 / Math.sqrt(HIDDEN)), CLASSES, HIDDEN).requireGrad();
        b2 = Tensor.zeros(backend, CLASSES).requireGrad();
    }

    public List<Tensor> parameters() { return List.of(w1, b1, w2, b2); }

    /** x (n, IN) -> logits (n, CLASSES). */
    public Tensor forward(Tensor x) {
        Tensor h = Elementwise.silu(Elementwise.add(MatMul.linear(x, w1), b1)); // (n, HIDDEN)
        return Elementwise.add(MatMul.linear(h, w2), b2);                        // (n, CLASSES)
    }

    /** The class of a point: quadrant parity, and whether it lies outside the circle of radius 0.7. */
    public static int label(float x, float y) {
        return (x * y > 0 ? 0 : 1) + (x * x + y * y > 0.49f ? 2 : 0);
    }

    /** Trains with AdamW on fresh batches of 64 points; returns the loss of every step. */
    public static float[] train(Backend backend, long seed, int steps) {
        TinyMlp model = new TinyMlp(backend, seed);
        AdamW opt = new AdamW(model.parameters(), new AdamW.Settings(0.02f, 0.9f, 0.999f, 1e-8f, 0f));
        Rng data = new Rng(seed ^ 0x5DEECE66DL);
        float[] losses = new float[steps];
        int batch = 64;
        for (int s = 0; s < steps; s++) {
            float[] xs = new float[batch * IN];
            int[] ys = new int[batch];
            for (int i = 0; i < batch; i++) {
                xs[2 * i] = data.nextFloat() * 2 - 1;
                xs[2 * i + 1] = data.nextFloat() * 2 - 1;
                ys[i] = label(xs[2 * i], xs[2 * i + 1]);
            }
            opt.zeroGrad();
            Tensor loss = CrossEntropy.mean(model.forward(Tensor.of(backend, xs, batch, IN)), ys);
            loss.backward();
            opt.step();
            losses[s] = loss.item();
        }
        return losses;
    }
}
