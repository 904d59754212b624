package io.piece4j.backend.simd;

import io.piece4j.tensor.spi.Bf16Matrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Attention of a few queries (decoding) over a KV cache held as bfloat16 bits: one task per (query, head); the
 * scores are dot products over the head dimension with each key widened L values at a time (sign-extend, shift left
 * by 16: exact; {@link SimdPackedLinear#widen}), then softmax with exp in double, then the values widened the same way and summed with the weights,
 * vectorised over the head dimension. Layouts as {@link io.piece4j.tensor.spi.PackedKernels#attentionBf16}.
 * Each output element is one task's fixed sequence of operations: the same bits for any thread count.
 */
final class SimdBf16CacheAttention {
    private SimdBf16CacheAttention() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();
    /** Multiply-adds below which the tasks run on the calling thread: a hand-off would cost more. */
    private static final long MIN_PARALLEL_WORK = 1 << 15;

    /** The scores of the thread running a (query, head) task, kept between calls. */
    private static final WorkArrays<float[]> SCORES = WorkArrays.floats();

    static void run(float[] q, int qo, short[] keys, short[] values, float[] out, int oo, int tq, int tk, int heads, int kvHeads,
                    int headDim, WorkerPool pool) {
        int tasks = tq * heads;
        if ((long) tasks * tk * headDim < MIN_PARALLEL_WORK) {
            for (int task = 0; task < tasks; task++) head(q, qo, keys, values, out, oo, tq, tk, heads, kvHeads, headDim, task);
        } else {
            pool.parallelFor(tasks, task -> head(q, qo, keys, values, out, oo, tq, tk, heads, kvHeads, headDim, task));
        }
    }

    /** Query t = task / heads, head h = task % heads. */
    private static void head(float[] q, int qo, short[] keys, short[] values, float[] out, int oo, int tq, int tk, int heads,
                             int kvHeads, int headDim, int task) {
        int t = task / heads, h = task % heads, kh = h / (heads / kvHeads);
        int last = tk - tq + t; // attends to keys 0..last
        int qBase = qo + (t * heads + h) * headDim, bound = S.loopBound(headDim);
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] p = SCORES.atLeast(last + 1); // (last + 1) scores, then weights
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j <= last; j++) {
            int kBase = (j * kvHeads + kh) * headDim;
            FloatVector acc = FloatVector.zero(S);
            int d = 0;
            for (; d < bound; d += L) acc = SimdPackedLinear.widen(keys, kBase + d).fma(FloatVector.fromArray(S, q, qBase + d), acc);
            float s = LaneMath.sum(acc);
            for (; d < headDim; d++) s = Math.fma(Bf16Matrix.toFloat(keys[kBase + d]), q[qBase + d], s);
            p[j] = s * scale;
            max = Math.max(max, p[j]);
        }
        double sum = 0;
        for (int j = 0; j <= last; j++) {
            p[j] = (float) Math.exp(p[j] - max);
            sum += p[j];
        }
        float inverse = (float) (1.0 / sum);
        int oBase = oo + (t * heads + h) * headDim;
        int d = 0;
        for (; d < bound; d += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int j = 0; j <= last; j++) {
                acc = SimdPackedLinear.widen(values, (j * kvHeads + kh) * headDim + d).fma(FloatVector.broadcast(S, p[j]), acc);
            }
            acc.mul(inverse).intoArray(out, oBase + d);
        }
        for (; d < headDim; d++) {
            float acc = 0;
            for (int j = 0; j <= last; j++) acc = Math.fma(Bf16Matrix.toFloat(values[(j * kvHeads + kh) * headDim + d]), p[j], acc);
            out[oBase + d] = acc * inverse;
        }
    }
}
