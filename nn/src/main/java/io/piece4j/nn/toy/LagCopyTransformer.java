package io.piece4j.nn.toy;

import io.piece4j.nn.optim.AdamW;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.Attention;
import io.piece4j.tensor.ops.CrossEntropy;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.ops.Embedding;
import io.piece4j.tensor.ops.MatMul;
import io.piece4j.tensor.ops.RmsNorm;
import io.piece4j.tensor.ops.Rope;
import io.piece4j.tensor.ops.RopeTable;
import io.piece4j.tensor.ops.SwiGlu;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.RopeLayout;

import java.util.List;

/**
 * One Llama block (RMSNorm, RoPE attention with grouped KV heads, SwiGLU MLP, residuals) learning to
 * repeat the token seen LAG positions earlier in a random sequence. Only attention with position
 * information can solve it, so a falling loss shows every op of the block and its backward at work.
 */
public final class LagCopyTransformer {
    public static final int VOCAB = 8, DIM = 32, HEADS = 4, KV_HEADS = 2, HEAD_DIM = DIM / HEADS, HIDDEN = 48;
    public static final int SEQ = 12, LAG = 2;

    private final Tensor embed, attnNorm, wq, wk, wv, wo, mlpNorm, wGate, wUp, wDown, norm, out;
    private final RopeTable rope;

    public LagCopyTransformer(Backend backend, long seed) {
        Rng rng = new Rng(seed);
        float s = (float) (1 / Math.sqrt(DIM));
        embed = Tensor.randn(backend, rng, 1f, VOCAB, DIM).requireGrad();
        attnNorm = Tensor.ones(backend, DIM).requireGrad();
        wq = Tensor.randn(backend, rng, s, HEADS * HEAD_DIM, DIM).requireGrad();
        wk = Tensor.randn(backend, rng, s, KV_HEADS * HEAD_DIM, DIM).requireGrad();
        wv = Tensor.randn(backend, rng, s, KV_HEADS * HEAD_DIM, DIM).requireGrad();
        wo = Tensor.randn(backend, rng, s, DIM, HEADS * HEAD_DIM).requireGrad();
        mlpNorm = Tensor.ones(backend, DIM).requireGrad();
        wGate = Tensor.randn(backend, rng, s, HIDDEN, DIM).requireGrad();
        wUp = Tensor.randn(backend, rng, s, HIDDEN, DIM).requireGrad();
        wDown = Tensor.randn(backend, rng, (float) (1 / Math.sqrt(HIDDEN)), DIM, HIDDEN).requireGrad();
        norm = Tensor.ones(backend, DIM).requireGrad();
        out = Tensor.randn(backend, rng, s, VOCAB, DIM).requireGrad();
        rope = RopeTable.standard(backend, SEQ, HEAD_DIM, 10000);
    }

    public List<Tensor> parameters() {
        return List.of(embed, attnNorm, wq, wk, wv, wo, mlpNorm, wGate, wUp, wDown, norm, out);
    }

    /** ids (batch * SEQ, row-major) -> logits (batch * SEQ, VOCAB). */
    public Tensor forward(int[] ids, int batch) {
        Tensor x = Embedding.lookup(embed, ids);                                        // (B*T, C)
        Tensor n = RmsNorm.rmsnorm(x, attnNorm, 1e-5f);
        Tensor q = Rope.rope(MatMul.linear(n, wq).reshape(batch, SEQ, HEADS, HEAD_DIM), rope, 0, RopeLayout.INTERLEAVED);
        Tensor k = Rope.rope(MatMul.linear(n, wk).reshape(batch, SEQ, KV_HEADS, HEAD_DIM), rope, 0, RopeLayout.INTERLEAVED);
        Tensor v = MatMul.linear(n, wv).reshape(batch, SEQ, KV_HEADS, HEAD_DIM);
        Tensor att = Attention.causal(q, k, v).reshape(batch * SEQ, DIM);              // (B*T, C)
        x = Elementwise.add(x, MatMul.linear(att, wo));
        Tensor m = RmsNorm.rmsnorm(x, mlpNorm, 1e-5f);
        x = Elementwise.add(x, MatMul.linear(SwiGlu.swiglu(MatMul.linear(m, wGate), MatMul.linear(m, wUp)), wDown));
        return MatMul.linear(RmsNorm.rmsnorm(x, norm, 1e-5f), out);                     // (B*T, VOCAB)
    }

    /** A batch of random sequences and their targets (the token LAG back; the first LAG are ignored). */
    public static int[][] batch(Rng rng, int batch) {
        int[] ids = new int[batch * SEQ], targets = new int[batch * SEQ];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < SEQ; t++) ids[b * SEQ + t] = rng.nextInt(VOCAB);
            for (int t = 0; t < SEQ; t++) targets[b * SEQ + t] = t < LAG ? -1 : ids[b * SEQ + t - LAG];
        }
        return new int[][] {ids, targets};
    }

    /** Trains with AdamW on fresh batches; returns the loss of every step. */
    public static float[] train(Backend backend, long seed, int steps, int batch) {
        LagCopyTransformer model = new LagCopyTransformer(backend, seed);
        AdamW opt = new AdamW(model.parameters(), new AdamW.Settings(0.01f, 0.9f, 0.98f, 1e-8f, 0f));
        Rng data = new Rng(seed * 31 + 7);
        float[] losses = new float[steps];
        for (int s = 0; s < steps; s++) {
            int[][] xy = batch(data, batch);
            opt.zeroGrad();
            Tensor loss = CrossEntropy.mean(model.forward(xy[0], batch), xy[1]);
            loss.backward();
            opt.step();
            losses[s] = loss.item();
        }
        return losses;
    }
}
