package io.piece4j.bench;

import io.piece4j.piece.TopKSelector;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

/**
 * The kernels a training step spends its time in, through the backend SPI, at the shapes of one
 * stories15M step at batch 8 x 256 (tokens T = 2048, dim 288, hidden 768, 6 heads of 48): the three
 * matrix-product layouts of a linear layer (forward x W^T = nt, input gradient dY W = nn, weight
 * gradient dY^T x = tn), RMSNorm forward and backward, a row softmax, causal attention forward and
 * backward, masked AdamW over k = 0.1 % of 15.2 M parameters, and PIECE's global top-k over them.
 * `piece bench kernels` runs it for every backend and prints ratios against ref.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class KernelBenchmark {
    @Param({"simd", "ejml", "ref"}) public String backend;
    @Param({"2"}) public int threads;
    /** Tokens in the step (batch x seq). */
    @Param({"2048"}) public int tokens;
    @Param({"256"}) public int seq;
    @Param({"288"}) public int dim;
    @Param({"768"}) public int hidden;
    @Param({"6"}) public int heads;
    /** Parameters of the model (stories15M) for the optimizer and top-k kernels. */
    @Param({"15191712"}) public int parameters;
    @Param({"0.001"}) public double ratio;

    private Backend be;
    private Tensor x, w, y, dy, dx;            // (T, dim), (hidden, dim), (T, hidden), (T, hidden), (T, dim)
    private Tensor dw;                         // (hidden, dim)
    private Tensor norm, normOut, rstd, dNorm; // (dim), (T, dim), (T), (dim)
    private Tensor logits, probs;              // (T, hidden): softmax rows of width `hidden`
    private Tensor q, k, v, att, attProbs, dAtt, dq, dk, dv; // (B, seq, heads, hd) and (B, heads, seq, seq)
    private Tensor param, grad, m1, m2;        // (P), (P), (k), (k)
    private int[] maskIdx;                     // (k) sorted flat indices
    private Tensor scores;                     // (P)

    @Setup(Level.Trial)
    public void setUp() {
        be = Backends.create(backend, threads);
        Rng rng = new Rng(42);
        x = Tensor.randn(be, rng, 1f, tokens, dim);
        w = Tensor.randn(be, rng, 0.05f, hidden, dim);
        y = Tensor.zeros(be, tokens, hidden);
        dy = Tensor.randn(be, rng, 1f, tokens, hidden);
        dx = Tensor.zeros(be, tokens, dim);
        dw = Tensor.zeros(be, hidden, dim);
        norm = Tensor.randn(be, rng, 1f, dim);
        normOut = Tensor.zeros(be, tokens, dim);
        rstd = Tensor.zeros(be, tokens);
        dNorm = Tensor.zeros(be, dim);
        logits = Tensor.randn(be, rng, 3f, tokens, hidden);
        probs = Tensor.zeros(be, tokens, hidden);
        int batch = tokens / seq, hd = dim / heads;
        q = Tensor.randn(be, rng, 1f, batch, seq, heads, hd);
        k = Tensor.randn(be, rng, 1f, batch, seq, heads, hd);
        v = Tensor.randn(be, rng, 1f, batch, seq, heads, hd);
        att = Tensor.zeros(be, batch, seq, heads, hd);
        attProbs = Tensor.zeros(be, batch, heads, seq, seq);
        dAtt = Tensor.randn(be, rng, 1f, batch, seq, heads, hd);
        dq = Tensor.zeros(be, batch, seq, heads, hd);
        dk = Tensor.zeros(be, batch, seq, heads, hd);
        dv = Tensor.zeros(be, batch, seq, heads, hd);
        be.attention(q, k, v, att, attProbs, batch, seq, seq, seq, heads, heads, hd); // probabilities for the backward
        param = Tensor.randn(be, rng, 0.02f, parameters);
        grad = Tensor.randn(be, rng, 1e-3f, parameters);
        int kCount = (int) Math.max(1, Math.floor(ratio * parameters));
        maskIdx = new int[kCount];
        long stride = parameters / kCount; // spread over the whole buffer, as a global top-k mask is
        for (int i = 0; i < kCount; i++) maskIdx[i] = (int) (i * stride + rng.nextInt((int) stride));
        m1 = Tensor.zeros(be, kCount);
        m2 = Tensor.zeros(be, kCount);
        scores = Tensor.uniform(be, rng, 0f, 1f, parameters);
    }

    @TearDown(Level.Trial)
    public void tearDown() { be.close(); }

    private final float[] firstElement = new float[1];

    /**
     * t, after reading one element of it back: a device backend (opencl) runs kernels asynchronously, and the
     * read waits for them, so the call is timed to its end; on the CPU backends it copies one float.
     */
    private Tensor finished(Tensor t) {
        be.read(t.storage(), t.offset(), firstElement, 0, 1);
        return t;
    }

    /** Linear layer forward: y (T, hidden) = x (T, dim) @ W^T. */
    @Benchmark
    public Tensor matmulNt() {
        be.matmul(x, false, w, true, y, 1, tokens, hidden, dim, 0, false);
        return finished(y);
    }

    /** Input gradient: dx (T, dim) = dy (T, hidden) @ W (hidden, dim). */
    @Benchmark
    public Tensor matmulNn() {
        be.matmul(dy, false, w, false, dx, 1, tokens, dim, hidden, 0, false);
        return finished(dx);
    }

    /** Weight gradient: dW (hidden, dim) = dy^T (hidden, T) @ x (T, dim). */
    @Benchmark
    public Tensor matmulTn() {
        be.matmul(dy, true, x, false, dw, 1, hidden, dim, tokens, 0, false);
        return finished(dw);
    }

    @Benchmark
    public Tensor rmsnorm() {
        be.rmsnorm(x, norm, normOut, rstd, tokens, dim, 1e-5f);
        return finished(normOut);
    }

    @Benchmark
    public Tensor rmsnormBackward() {
        be.rmsnormBackward(x, norm, rstd, normOut, dx, dNorm, tokens, dim);
        return finished(dx);
    }

    @Benchmark
    public Tensor softmax() {
        be.softmax(logits, probs, tokens, hidden);
        return finished(probs);
    }

    @Benchmark
    public Tensor attention() {
        int hd = dim / heads;
        be.attention(q, k, v, att, attProbs, tokens / seq, seq, seq, seq, heads, heads, hd);
        return finished(att);
    }

    @Benchmark
    public Tensor attentionBackward() {
        int hd = dim / heads;
        be.attentionBackward(q, k, v, attProbs, dAtt, dq, dk, dv, tokens / seq, seq, seq, heads, heads, hd);
        return finished(dq);
    }

    /** One MaskedAdamW step over k coordinates spread across P (the moments stay k long). */
    @Benchmark
    public Tensor maskedAdamw() {
        be.maskedAdamw(param, grad, maskIdx, m1, m2, 1e-5f, 0.9f, 0.95f, 1e-8f, 0f, 0.1f, 0.05f, 1f);
        return finished(param);
    }

    /** PIECE's global top-k (r = ratio) over P scores read from the backend's storage in chunks. */
    @Benchmark
    public int[] topK() {
        int kCount = maskIdx.length;
        return TopKSelector.select((start, dst, length) -> be.read(scores.storage(), scores.offset() + start, dst, 0, length),
                new TopKSelector.Range[] {new TopKSelector.Range(0, parameters)}, kCount);
    }
}
