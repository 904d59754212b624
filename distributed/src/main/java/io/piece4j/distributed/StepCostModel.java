package io.piece4j.distributed;

import io.piece4j.nn.LlamaConfig;

/**
 * The model of a data-parallel masked step's time that docs/distributed.md tabulates:
 *
 * <pre>
 *   T(E) = ceil(G / E) * c  +  x(k)  +  j0 + E * j1
 * </pre>
 *
 * G micro-batches per optimizer step spread over E executors, c the time of one micro-batch's masked forward
 * and backward on one executor, x(k) the cost of one task sending k floats back (its values go down in the
 * task), j0 + E * j1 Spark's latency for a job of E tasks (a fixed part, and the driver's per-task work of
 * scheduling and result handling, which is serial). c, x, j0 and j1 are measured by `piece spark-scaling`;
 * c at another model shape is scaled by the ratio of the micro-batch's floating-point work.
 */
record StepCostModel(double computePerMicroBatch, double exchangeSeconds, double jobFixed, double jobPerTask) {

    double stepSeconds(int microBatches, int executors) {
        int waves = (microBatches + executors - 1) / executors;
        return waves * computePerMicroBatch + exchangeSeconds + jobFixed + executors * jobPerTask;
    }

    /**
     * Floating-point operations of one masked micro-batch of t tokens: the forward's matrix products (2 per
     * weight entry per token, the head included), the backward's input gradients (as many again), attention
     * (4 * seq * dim per token and layer, forward and backward about 3x), and the sampled weight gradient
     * (2 k per token).
     */
    static double maskedMicroBatchFlops(LlamaConfig c, int tokens, int seq, long k) {
        long kvDim = (long) c.kvHeads() * c.headDim(), qDim = (long) c.heads() * c.headDim();
        long perLayer = c.dim() * qDim + 2L * c.dim() * kvDim + qDim * c.dim() + 3L * c.dim() * c.hiddenDim();
        long matmulWeights = c.layers() * perLayer + (long) c.vocabSize() * c.dim();
        double attention = 3.0 * 4.0 * seq * qDim * c.layers();
        return tokens * (4.0 * matmulWeights + attention + 2.0 * k);
    }

    /** P and the eligible count (all but the input embeddings). */
    static long[] parameters(LlamaConfig c) {
        long kvDim = (long) c.kvHeads() * c.headDim(), qDim = (long) c.heads() * c.headDim();
        long perLayer = c.dim() * qDim + 2L * c.dim() * kvDim + qDim * c.dim() + 3L * c.dim() * c.hiddenDim() + 2L * c.dim();
        long emb = (long) c.vocabSize() * c.dim();
        long p = emb + c.layers() * perLayer + c.dim() + (c.tiedEmbeddings() ? 0 : emb);
        return new long[] {p, p - emb};
    }
}
