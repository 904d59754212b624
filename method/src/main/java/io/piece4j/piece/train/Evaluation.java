package io.piece4j.piece.train;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Autograd;

/** Answer-token loss of a model on held-out batches (no gradient). */
public final class Evaluation {
    private Evaluation() {}

    /** Mean cross-entropy over all scored tokens of all batches (each batch weighted by its scored tokens). */
    public static double answerLoss(LlamaModel model, Iterable<TokenBatch> batches) {
        double sum = 0;
        long count = 0;
        try (var s = Autograd.noGrad()) {
            for (TokenBatch b : batches) {
                int n = b.scoredTokens();
                if (n == 0) continue;
                sum += (double) model.loss(b.tokens(), b.targets(), b.batch(), b.seq()).item() * n;
                count += n;
            }
        }
        if (count == 0) throw new IllegalArgumentException("no scored token in the evaluation data");
        return sum / count;
    }
}
