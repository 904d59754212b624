package io.piece4j.backend.simd;

import io.piece4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;
import java.util.stream.Stream;

import static io.piece4j.backend.simd.KernelCheck.check;
import static io.piece4j.backend.simd.KernelCheck.gaussian;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Causal grouped-query attention of the SIMD backend against the reference: GQA ratios 1, 2 and 4, head
 * sizes below, at and above the vector width, fewer queries than keys (a KV cache), batch 2.
 */
class SimdAttentionTest {
    static final int BATCH = 2, HEADS = 4;

    static Stream<Arguments> cases() {
        int[][] queriesKeys = {{1, 1}, {1, 9}, {3, 9}, {7, 7}, {9, 40}, {33, 65}};
        return Stream.of(4, 2, 1).flatMap(kvHeads -> Stream.of(1, 7, 16, 33).flatMap(hd -> Stream.of(queriesKeys)
                .map(qk -> Arguments.of(kvHeads, hd, qk[0], qk[1]))));
    }

    @ParameterizedTest(name = "kvHeads {0} headDim {1} tq {2} tk {3}")
    @MethodSource("cases")
    void attentionMatchesReference(int kvHeads, int hd, int tq, int tk) {
        int kvCap = tk + 3; // the cache holds more positions than are used
        Random rng = new Random(kvHeads * 1_000_003L + hd * 1009L + tq * 31L + tk);
        float[] q = gaussian(rng, BATCH * tq * HEADS * hd, 1);
        float[] k = gaussian(rng, BATCH * kvCap * kvHeads * hd, 1);
        float[] v = gaussian(rng, BATCH * kvCap * kvHeads * hd, 1);
        String what = "attention kvHeads " + kvHeads + " headDim " + hd + " tq " + tq + " tk " + tk;
        check(what, t -> t.backend.attention(t.in(q, BATCH, tq, HEADS, hd), t.in(k, BATCH, kvCap, kvHeads, hd),
                t.in(v, BATCH, kvCap, kvHeads, hd), t.out("out", new float[q.length], BATCH, tq, HEADS, hd),
                t.out("probs", new float[BATCH * HEADS * tq * tk], BATCH, HEADS, tq, tk),
                BATCH, tq, tk, kvCap, HEADS, kvHeads, hd));
        check(what + " without probs", t -> t.backend.attention(t.in(q, BATCH, tq, HEADS, hd), t.in(k, BATCH, kvCap, kvHeads, hd),
                t.in(v, BATCH, kvCap, kvHeads, hd), t.out("out", new float[q.length], BATCH, tq, HEADS, hd), null,
                BATCH, tq, tk, kvCap, HEADS, kvHeads, hd));
    }

    /** Causal softmax weights of random scores, as the forward would leave them: (batch, heads, tq, tk). */
    static float[] causalProbs(Random rng, int tq, int tk) {
        float[] p = new float[BATCH * HEADS * tq * tk];
        for (int row = 0; row < BATCH * HEADS * tq; row++) {
            int n = tk - tq + row % tq + 1;
            double[] e = new double[n];
            double sum = 0;
            for (int j = 0; j < n; j++) sum += e[j] = Math.exp(rng.nextGaussian() * 2);
            for (int j = 0; j < n; j++) p[row * tk + j] = (float) (e[j] / sum);
        }
        return p;
    }

    @ParameterizedTest(name = "kvHeads {0} headDim {1} tq {2} tk {3}")
    @MethodSource("cases")
    void attentionBackwardMatchesReference(int kvHeads, int hd, int tq, int tk) {
        Random rng = new Random(kvHeads * 1_000_003L + hd * 1009L + tq * 31L + tk + 1);
        float[] q = gaussian(rng, BATCH * tq * HEADS * hd, 1), dOut = gaussian(rng, q.length, 1);
        float[] k = gaussian(rng, BATCH * tk * kvHeads * hd, 1), v = gaussian(rng, k.length, 1);
        float[] probs = causalProbs(rng, tq, tk);
        float[] dq = gaussian(rng, q.length, 1), dk = gaussian(rng, k.length, 1), dv = gaussian(rng, k.length, 1);
        String what = "attentionBackward kvHeads " + kvHeads + " headDim " + hd + " tq " + tq + " tk " + tk;
        check(what, t -> t.backend.attentionBackward(t.in(q, BATCH, tq, HEADS, hd), t.in(k, BATCH, tk, kvHeads, hd),
                t.in(v, BATCH, tk, kvHeads, hd), t.in(probs, BATCH, HEADS, tq, tk), t.in(dOut, BATCH, tq, HEADS, hd),
                t.out("dq", dq, BATCH, tq, HEADS, hd), t.out("dk", dk, BATCH, tk, kvHeads, hd), t.out("dv", dv, BATCH, tk, kvHeads, hd),
                BATCH, tq, tk, HEADS, kvHeads, hd));
        check(what + " dq only", t -> t.backend.attentionBackward(t.in(q, BATCH, tq, HEADS, hd), t.in(k, BATCH, tk, kvHeads, hd),
                t.in(v, BATCH, tk, kvHeads, hd), t.in(probs, BATCH, HEADS, tq, tk), t.in(dOut, BATCH, tq, HEADS, hd),
                t.out("dq", dq, BATCH, tq, HEADS, hd), null, null, BATCH, tq, tk, HEADS, kvHeads, hd));
        check(what + " dk and dv only", t -> t.backend.attentionBackward(t.in(q, BATCH, tq, HEADS, hd), t.in(k, BATCH, tk, kvHeads, hd),
                t.in(v, BATCH, tk, kvHeads, hd), t.in(probs, BATCH, HEADS, tq, tk), t.in(dOut, BATCH, tq, HEADS, hd),
                null, t.out("dk", dk, BATCH, tk, kvHeads, hd), t.out("dv", dv, BATCH, tk, kvHeads, hd),
                BATCH, tq, tk, HEADS, kvHeads, hd));
    }

    /**
     * Decoding one token with a KV cache must give the same bits as the last row of the full causal
     * pass, although one query gathers its keys and many queries use a transposed copy.
     */
    @Test
    void oneQueryGivesTheSameBitsAsTheLastRowOfAFullPass() {
        int tk = 37, hd = 24, kvHeads = 2;
        Random rng = new Random(42);
        float[] q = gaussian(rng, BATCH * tk * HEADS * hd, 1);
        float[] k = gaussian(rng, BATCH * tk * kvHeads * hd, 1), v = gaussian(rng, k.length, 1);
        SimdBackend simd = KernelCheck.simd(2);
        float[] full = runAttention(simd, q, k, v, tk, tk, kvHeads, hd);
        for (int tq : new int[]{1, SimdAttention.PACK_MIN_QUERIES - 1}) {
            float[] lastQueries = new float[BATCH * tq * HEADS * hd];
            for (int b = 0; b < BATCH; b++) {
                System.arraycopy(q, (b * tk + tk - tq) * HEADS * hd, lastQueries, b * tq * HEADS * hd, tq * HEADS * hd);
            }
            float[] part = runAttention(simd, lastQueries, k, v, tq, tk, kvHeads, hd);
            for (int b = 0; b < BATCH; b++) {
                for (int i = 0; i < tq * HEADS * hd; i++) {
                    float a = full[(b * tk + tk - tq) * HEADS * hd + i], c = part[b * tq * HEADS * hd + i];
                    if (Float.floatToIntBits(a) != Float.floatToIntBits(c)) {
                        fail("batch " + b + ", element " + i + " of the last " + tq + " queries: " + c + " alone but " + a
                                + " in the full pass (diff " + (c - a) + ")");
                    }
                }
            }
        }
    }

    private static float[] runAttention(SimdBackend be, float[] q, float[] k, float[] v, int tq, int tk, int kvHeads, int hd) {
        Tensor out = Tensor.zeros(be, BATCH, tq, HEADS, hd);
        be.attention(Tensor.of(be, q, BATCH, tq, HEADS, hd), Tensor.of(be, k, BATCH, tk, kvHeads, hd),
                Tensor.of(be, v, BATCH, tk, kvHeads, hd), out, null, BATCH, tq, tk, tk, HEADS, kvHeads, hd);
        return out.toArray();
    }
}
