package io.piece4j.tensor.spi;

import io.piece4j.tensor.Tensor;

/**
 * The kernels every backend provides. Everything above this interface (autograd, the model, PIECE)
 * is written once and runs on every backend.
 *
 * <p>Conventions: tensors are row-major and contiguous (a view is a storage plus an offset); kernels
 * receive the sizes they need explicitly and trust them (the op layer has checked the shapes).
 * "accumulate" means the kernel adds into its output ({@code +=}), as gradients are accumulated;
 * otherwise it overwrites. Kernels named *Backward always accumulate into the gradients they are given,
 * and a null gradient is skipped. A kernel must give bit-identical results for the same inputs,
 * whatever the number of threads, unless its backend documents otherwise.
 */
public interface Backend extends AutoCloseable {

    // ---------------------------------------------------------------- identity and memory

    String name();

    /** One line for run records: name, vector width or device, threads. */
    String description();

    int threads();

    Precision precision();

    /** Zero-filled storage of the given number of elements. */
    Storage allocate(long elements);

    void write(Storage dst, long dstOffset, float[] src, int srcOffset, int length);

    void read(Storage src, long srcOffset, float[] dst, int dstOffset, int length);

    /** Exact on a float64 backend; rounds to float32 otherwise. */
    void writeDouble(Storage dst, long dstOffset, double[] src, int srcOffset, int length);

    void readDouble(Storage src, long srcOffset, double[] dst, int dstOffset, int length);

    void copy(Storage src, long srcOffset, Storage dst, long dstOffset, long length);

    void fill(Storage dst, long offset, long length, float value);

    @Override
    default void close() {}

    // ---------------------------------------------------------------- elementwise

    /** y = f(x), n = x.numel(). x and y may be the same tensor. */
    void unary(UnaryOp op, Tensor x, Tensor y);

    /** dx += dy * f'(x), using y = f(x) where that is cheaper. */
    void unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx);

    /**
     * out = a (op) b. b has a.numel() elements, or the size of a's last axis (added to every row), or 1.
     */
    void binary(BinaryOp op, Tensor a, Tensor b, Tensor out);

    /**
     * da += dOut * d(a op b)/da and db += dOut * d(a op b)/db, the latter summed over the rows b was
     * broadcast to. da or db may be null.
     */
    void binaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dOut, Tensor da, Tensor db);

    /** dst += alpha * src over dst.numel() elements. */
    void addScaled(Tensor dst, Tensor src, float alpha);

    /** Sum of squares of all elements, accumulated in double (gradient norms). */
    double sumOfSquares(Tensor x);

    // ---------------------------------------------------------------- reductions

    /** x viewed as (outer, n, inner): out[o][i] (+)= alpha * sum_j x[o][j][i]. */
    void sumAxis(Tensor x, Tensor out, int outer, int n, int inner, float alpha, boolean accumulate);

    /** dx viewed as (outer, n, inner): dx[o][j][i] += alpha * dOut[o][i] (the backward of sumAxis). */
    void broadcastAxis(Tensor dOut, Tensor dx, int outer, int n, int inner, float alpha);

    // ---------------------------------------------------------------- matrix products

    /**
     * For each of {@code batch} matrices: C (m, n) (+)= op(A) (m, k) @ op(B) (k, n).
     * A is stored (m, k) or, if transA, (k, m); B is stored (k, n) or, if transB, (n, k).
     * Batch strides are m*k, k*n and m*n elements; strideB = 0 shares one B across the batch.
     */
    void matmul(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c,
                int batch, int m, int n, int k, long strideB, boolean accumulate);

    // ---------------------------------------------------------------- transformer kernels

    /** y (rows, cols) = softmax over each row of x. */
    void softmax(Tensor x, Tensor y, int rows, int cols);

    /** dx += y * (dy - sum(dy * y)) per row. */
    void softmaxBackward(Tensor y, Tensor dy, Tensor dx, int rows, int cols);

    /** y = x / sqrt(mean(x^2) + eps) * w per row; rstd (rows) receives 1/sqrt(mean(x^2) + eps). */
    void rmsnorm(Tensor x, Tensor weight, Tensor y, Tensor rstd, int rows, int cols, float eps);

    /** dx += d/dx, dWeight += d/dw (dWeight may be null), given rstd from the forward. */
    void rmsnormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor dy, Tensor dx, Tensor dWeight,
                         int rows, int cols);

    /**
     * Rotary embedding of x (batch, seq, heads, headDim) into y (same shape; may be x): the pair (u, v)
     * of head dimension i at absolute position p = posOffset + t rotates by angle theta(p, i) whose
     * cos and sin are cos[p][i], sin[p][i] (tables of shape (maxSeq, headDim/2)). inverse rotates by
     * -theta, which is the backward. With accumulate, y += rotated x.
     */
    void rope(Tensor x, Tensor y, Tensor cos, Tensor sin, int batch, int seq, int heads, int headDim,
              int posOffset, RopeLayout layout, boolean inverse, boolean accumulate);

    /**
     * Causal scaled-dot-product attention with grouped KV heads.
     * q (batch, tq, heads, headDim); k, v (batch, kvCapacity, kvHeads, headDim) of which the first tk
     * positions are used; out (batch, tq, heads, headDim). Query t sits at absolute position tk - tq + t
     * and attends to keys 0..that position. Query head h reads kv head h / (heads / kvHeads).
     * probs (batch, heads, tq, tk), if not null, receives the attention weights for the backward.
     */
    void attention(Tensor q, Tensor k, Tensor v, Tensor out, Tensor probs, int batch, int tq, int tk,
                   int kvCapacity, int heads, int kvHeads, int headDim);

    /**
     * True if decoding should keep its KV cache's keys transposed ({@link #writeKeysTransposed},
     * {@link #attentionKeysTransposed}): a backend says so when that layout is faster for it. Either layout gives the
     * same results; the default is false.
     */
    default boolean prefersTransposedKeys() { return false; }

    /**
     * keysT (kvDim, kvCapacity) columns at .. at + rows - 1 = keys (rows, kvDim) transposed: decoding's key cache in the
     * layout {@link #attentionKeysTransposed} reads, each key a column. The default goes through the host.
     */
    default void writeKeysTransposed(Tensor keys, Tensor keysT, int rows, int at, int kvDim, int kvCapacity) {
        float[] rowMajor = new float[rows * kvDim], column = new float[rows]; // (rows, kvDim), (rows)
        read(keys.storage(), keys.offset(), rowMajor, 0, rowMajor.length);
        for (int c = 0; c < kvDim; c++) {
            for (int r = 0; r < rows; r++) column[r] = rowMajor[r * kvDim + c];
            write(keysT.storage(), keysT.offset() + (long) c * kvCapacity + at, column, 0, rows);
        }
    }

    /**
     * {@link #attention} for batch 1 over a KV cache whose keys are held transposed, keysT (kvHeads, headDim,
     * kvCapacity), so that a query's scores read each key component as one contiguous run; values (kvCapacity,
     * kvHeads, headDim); positions 0 .. tk - 1 used; q, out (tq, heads, headDim). The same bits as {@link #attention}
     * over the keys in its layout. The default copies the keys back into that layout and calls it.
     */
    default void attentionKeysTransposed(Tensor q, Tensor keysT, Tensor values, Tensor out, int tq, int tk, int kvCapacity,
                                         int heads, int kvHeads, int headDim) {
        int kvDim = kvHeads * headDim;
        float[] transposed = new float[kvDim * kvCapacity], rowMajor = new float[kvCapacity * kvDim]; // (kvDim, cap), (cap, kvDim)
        read(keysT.storage(), keysT.offset(), transposed, 0, transposed.length);
        for (int c = 0; c < kvDim; c++) {
            for (int j = 0; j < tk; j++) rowMajor[j * kvDim + c] = transposed[c * kvCapacity + j];
        }
        attention(q, Tensor.of(this, rowMajor, kvCapacity, kvDim), values, out, null, 1, tq, tk, kvCapacity, heads, kvHeads, headDim);
    }

    /** Gradients of {@link #attention} (kvCapacity = tk), accumulated into dq, dk, dv. */
    void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor probs, Tensor dOut, Tensor dq, Tensor dk,
                           Tensor dv, int batch, int tq, int tk, int heads, int kvHeads, int headDim);

    /**
     * {@link #attentionBackward} when the forward kept no attention weights (kvCapacity = tk): computes them again and
     * accumulates the same gradients, bit for bit, as the kept weights give. The default computes all of them at once
     * into one (batch, heads, tq, tk) activation buffer and hands it back to the arena afterwards. A backend may instead
     * compute them a kv head at a time into scratch of its own, so that no buffer of that size exists at all.
     */
    default void attentionBackwardRecomputed(Tensor q, Tensor k, Tensor v, Tensor dOut, Tensor dq, Tensor dk, Tensor dv,
                                             int batch, int tq, int tk, int heads, int kvHeads, int headDim) {
        Tensor probs = Tensor.activationToOverwrite(this, batch, heads, tq, tk);      // (B, H, tq, tk), every element written
        Tensor again = Tensor.activationToOverwrite(this, batch, tq, heads, headDim); // the output once more, unread
        attention(q, k, v, again, probs, batch, tq, tk, tk, heads, kvHeads, headDim);
        again.releaseActivation();
        attentionBackward(q, k, v, probs, dOut, dq, dk, dv, batch, tq, tk, heads, kvHeads, headDim);
        probs.releaseActivation();
    }

    /** out = silu(gate) * up, n elements. */
    void swiglu(Tensor gate, Tensor up, Tensor out);

    /** dGate += dOut * up * silu'(gate), dUp += dOut * silu(gate). */
    void swigluBackward(Tensor gate, Tensor up, Tensor dOut, Tensor dGate, Tensor dUp);

    /** out (ids.length, dim) = rows ids[t] of table (vocab, dim). */
    void embedding(Tensor table, int[] ids, Tensor out, int dim);

    /** dTable[ids[t]] += dOut[t]: scatter-add, in token order. */
    void embeddingBackward(Tensor dOut, int[] ids, Tensor dTable, int dim);

    /**
     * Softmax cross-entropy over logits (rows, vocab). Rows whose target is negative are ignored.
     * probs (rows, vocab) receives the softmax for the backward, every row of it (zeros where the target is negative:
     * the caller does not clear it first). Returns the sum of -log p(target).
     */
    double crossEntropy(Tensor logits, int[] targets, Tensor probs, int rows, int vocab);

    /** dLogits += scale * (probs - onehot(target)) on rows whose target is not negative. */
    void crossEntropyBackward(Tensor probs, int[] targets, Tensor dLogits, int rows, int vocab, float scale);

    // ---------------------------------------------------------------- optimizer

    /**
     * One AdamW step over n = param.numel() coordinates, as torch.optim.AdamW computes it:
     * p -= lr * weightDecay * p; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
     * p -= lr * (m / bias1) / (sqrt(v / bias2) + eps), with bias1 = 1 - beta1^t, bias2 = 1 - beta2^t.
     */
    void adamw(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps,
               float weightDecay, float bias1, float bias2);

    // ---------------------------------------------------------------- PIECE

    /** sum += g and sumSq += g * g over g.numel() elements: the importance accumulators G and H. */
    void accumulateMoments(Tensor g, Tensor sum, Tensor sumSq);

    /** Sum over j of x[idx[j]]^2, accumulated in double (the gradient norm over a mask). */
    double sumOfSquaresAt(Tensor x, int[] idx);

    /**
     * AdamW on the coordinates idx[j] of param only, with moments m[j] and v[j] (k = idx.length long): the
     * same arithmetic per coordinate as {@link #adamw}, on the gradient times gradScale (clipping).
     * Every other coordinate of param is left untouched.
     */
    void maskedAdamw(Tensor param, Tensor grad, int[] idx, Tensor m, Tensor v, float lr, float beta1, float beta2,
                     float eps, float weightDecay, float bias1, float bias2, float gradScale);

    /**
     * The weight gradient of y = x W^T at chosen coordinates only (a sampled matrix product, cost k * tokens):
     * dW[e] += sum_t dY[t][e / inDim] * x[t][e % inDim] for each e in localIdx, with dY (tokens, outDim),
     * x (tokens, inDim) and dW (outDim, inDim).
     */
    void sampledMatmul(Tensor dY, Tensor x, int[] localIdx, Tensor dW, int tokens, int outDim, int inDim);

    // ---------------------------------------------------------------- PIECE with compact gradients (no P-sized buffer)

    /**
     * {@link #sampledMatmul} into a compact buffer: dValues[j] += sum_t dY[t][e / inDim] * x[t][e % inDim] with
     * e = localIdx[j], for j < localIdx.length (dValues is that long). The same sums, stored at j instead of e, so
     * training under a mask needs no (outDim, inDim) gradient, nor any buffer the size of the model.
     *
     * <p>The default computes on the host through {@link #read} and {@link #write}, in double: correct on any
     * backend, and overridden by those that compute where their storage lives.
     */
    default void sampledMatmulCompact(Tensor dY, Tensor x, int[] localIdx, Tensor dValues, int tokens, int outDim, int inDim) {
        CompactGradientKernels.sampledMatmulOnHost(this, dY, x, localIdx, dValues, tokens, outDim, inDim);
    }

    /**
     * {@link #maskedAdamw} with a compact gradient: coordinate idx[j] of param is updated with gradValues[j] (times
     * gradScale) and moments m[j], v[j]; the arithmetic per coordinate is that of maskedAdamw, bit for bit.
     *
     * <p>The default runs on the host through {@link #read} and {@link #write}, a stretch of param at a time.
     */
    default void maskedAdamwCompact(Tensor param, int[] idx, Tensor gradValues, Tensor m, Tensor v, float lr, float beta1,
                                    float beta2, float eps, float weightDecay, float bias1, float bias2, float gradScale) {
        CompactGradientKernels.maskedAdamwOnHost(this, param, idx, gradValues, m, v, lr, beta1, beta2, eps, weightDecay, bias1,
                bias2, gradScale);
    }

    // ---------------------------------------------------------------- decoding with packed weights

    /**
     * y (tokens, w.rows()) = x (tokens, w.cols()) W^T for a decoding-only weight matrix held as float32, bfloat16 or
     * Q8_0 (see {@link PackedMatrix}): each weight widened to float32 and multiplied by the float32 activations,
     * summed in float32 or better. Overwrites y.
     *
     * <p>The default runs {@link PackedKernels#linear} on the host through {@link #read} and {@link #write}: right on
     * any backend, and overridden by those with kernels of their own.
     */
    default void packedLinear(PackedMatrix w, Tensor x, Tensor y, int tokens) {
        float[] hx = new float[tokens * w.cols()], hy = new float[tokens * w.rows()]; // (tokens, cols), (tokens, rows)
        read(x.storage(), x.offset(), hx, 0, hx.length);
        PackedKernels.linear(w, hx, 0, hy, 0, tokens);
        write(y.storage(), y.offset(), hy, 0, hy.length);
    }

    /**
     * {@link #attention} for batch 1 over a KV cache held as bfloat16 bits on the host: keys and values
     * (kvCapacity, kvHeads, headDim), of which the first tk positions are used. The default runs
     * {@link PackedKernels#attentionBf16} on the host.
     */
    default void attentionBf16Cache(Tensor q, short[] keys, short[] values, Tensor out, int tq, int tk, int heads, int kvHeads,
                                    int headDim) {
        float[] hq = new float[tq * heads * headDim], ho = new float[hq.length]; // (tq, heads, headDim)
        read(q.storage(), q.offset(), hq, 0, hq.length);
        PackedKernels.attentionBf16(hq, 0, keys, values, ho, 0, tq, tk, heads, kvHeads, headDim);
        write(out.storage(), out.offset(), ho, 0, ho.length);
    }
}
