package io.piece4j.tests;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.spi.Backend;

/** Small random models and batches shared by the end-to-end tests. */
final class TinyModels {
    private TinyModels() {}

    /** The golden model's shape: GQA 4/2, odd hidden size, untied head. */
    static LlamaConfig config() { return config(false); }

    /** The golden model's shape with an untied head, or with the head tied to the token embedding. */
    static LlamaConfig config(boolean tied) {
        return new LlamaConfig(32, 2, 4, 2, 8, 77, 67, 32, 1e-5f, 10000f, tied, LlamaConfig.RopeLayout.INTERLEAVED, null);
    }

    static LlamaModel model(Backend be, long seed) { return model(be, seed, false); }

    static LlamaModel model(Backend be, long seed, boolean tied) {
        LlamaModel m = new LlamaModel(config(tied), be);
        m.initRandom(seed, 0.15f);
        return m;
    }

    /** Random tokens; targets are the next token, with the first `prompt` positions of each row ignored. */
    static TokenBatch batch(Rng rng, int batch, int seq, int vocab, int prompt) {
        int[] tokens = new int[batch * seq], targets = new int[batch * seq];
        for (int i = 0; i < tokens.length; i++) tokens[i] = rng.nextInt(vocab);
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                int i = b * seq + t;
                targets[i] = t < prompt || t == seq - 1 ? -1 : tokens[i + 1];
            }
        }
        return new TokenBatch(tokens, targets, batch, seq);
    }
}
