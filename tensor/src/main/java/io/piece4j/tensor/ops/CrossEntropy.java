package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/** Softmax cross-entropy with an ignore mask (negative targets). */
public final class CrossEntropy {
    private CrossEntropy() {}

    /**
     * logits (rows, vocab), targets (rows) -> shape [1]: mean over rows whose target is >= 0 of
     * -log softmax(logits)[target]. Zero, with zero gradient, when every row is ignored.
     * Backward: dLogits += dLoss / count * (softmax - onehot), from the softmax kept by the forward.
     */
    public static Tensor mean(Tensor logits, int[] targets) {
        int vocab = logits.dim(-1), rows = (int) (logits.numel() / vocab);
        if (targets.length != rows) {
            throw new IllegalArgumentException(targets.length + " targets for " + rows + " rows of logits");
        }
        int count = 0;
        for (int i = 0; i < rows; i++) {
            if (targets[i] >= vocab) throw new IllegalArgumentException("target " + targets[i] + " at row " + i + " is outside the vocabulary of " + vocab);
            if (targets[i] >= 0) count++;
        }
        int[] t = targets.clone();
        Backend be = logits.backend();
        Tensor probs = Tensor.activationToOverwrite(be, rows, vocab); // (rows, vocab), every row written (zeros where ignored)
        double sum = be.crossEntropy(logits, t, probs, rows, vocab);
        int n = count;
        Tensor loss = Tensor.activation(be, 1);
        loss.copyFromDouble(new double[] {n == 0 ? 0.0 : sum / n});
        return Autograd.record(loss, g -> {
            if (n == 0) return;
            float dLoss = g.item();
            be.crossEntropyBackward(probs, t, logits.gradForAccumulation(), rows, vocab, dLoss / n);
        }, logits);
    }
}
