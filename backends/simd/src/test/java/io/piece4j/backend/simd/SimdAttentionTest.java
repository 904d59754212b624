package io.piece4j.backend.simd;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
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
        // 50: with 16 lanes, three whole column blocks (the backward's twelve-chain tile) and a masked fourth
        return Stream.of(4, 2, 1).flatMap(kvHeads -> Stream.of(1, 7, 16, 33, 50).flatMap(hd -> Stream.of(queriesKeys)
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
     * dk += dS^T q and dv += P^T dO over three column blocks at once (twelve chains) give the bits of the same product
     * taken one column block at a time (a head dimension of L, which never takes the wide tile): per key and lane both
     * are one fma chain over the queries in order. Fewer queries than keys (a cache), and keys not a multiple of four.
     */
    @Test
    void threeColumnBlocksAtOnceGiveTheBitsOfOneAtATime() {
        int lanes = SimdSpecies.FLOAT.length(), hd = 3 * lanes, dStride = 2 * hd + 5;
        Random rng = new Random(7);
        for (int[] qk : new int[][] {{9, 9}, {6, 11}, {13, 13}}) {
            int tq = qk[0], tk = qk[1], wStride = tk + 2, xStride = hd + 3;
            float[] w = gaussian(rng, tq * wStride, 1), x = gaussian(rng, tq * xStride, 1), start = gaussian(rng, tk * dStride, 1);
            float[] wide = start.clone(), narrow = start.clone();
            SimdAttention.addTransposedProducts(w, 0, wStride, x, 0, xStride, wide, 0, dStride, tq, tk, hd);
            for (int d = 0; d < hd; d += lanes) {
                SimdAttention.addTransposedProducts(w, 0, wStride, x, d, xStride, narrow, d, dStride, tq, tk, lanes);
            }
            for (int i = 0; i < wide.length; i++) {
                if (Float.floatToIntBits(wide[i]) != Float.floatToIntBits(narrow[i])) {
                    fail("tq " + tq + ", tk " + tk + ", element " + i + ": " + wide[i] + " in three blocks, " + narrow[i] + " one at a time");
                }
            }
        }
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

    static Stream<Arguments> cacheCases() {
        // (tq, tk, capacity): one and several queries; capacities that are not a multiple of the vector width, so the
        // last block of a key row is read masked; every position of the cache used
        int[][] shapes = {{1, 1, 1}, {1, 9, 37}, {3, 37, 37}, {5, 40, 53}, {1, 53, 53}, {2, 17, 17}, {1, 100, 256}};
        return Stream.of(4, 2, 1).flatMap(kvHeads -> Stream.of(7, 16, 33).flatMap(hd -> Stream.of(shapes)
                .map(s -> Arguments.of(kvHeads, hd, s[0], s[1], s[2]))));
    }

    /**
     * Decoding's cache with transposed keys, written as a prompt and then the new tokens are, gives the same bits as
     * {@link SimdBackend#attention} over the keys in their usual layout, on the SIMD backend (its own kernels, 1 and 2
     * threads) and on the reference (the SPI's defaults, through the host); the transposed cache holds exactly the
     * keys written and zeros elsewhere.
     */
    @ParameterizedTest(name = "kvHeads {0} headDim {1} tq {2} tk {3} capacity {4}")
    @MethodSource("cacheCases")
    void transposedKeysGiveTheSameBitsAsAttention(int kvHeads, int hd, int tq, int tk, int cap) {
        Random rng = new Random(kvHeads * 7919L + hd * 131L + tq * 17L + tk * 3L + cap);
        int kvDim = kvHeads * hd;
        float[] q = gaussian(rng, tq * HEADS * hd, 1);                      // (tq, heads, hd)
        float[] k = gaussian(rng, cap * kvDim, 1), v = gaussian(rng, cap * kvDim, 1); // (cap, kvDim), rows past tk unused
        for (Backend be : new Backend[] {KernelCheck.simd(1), KernelCheck.simd(2), new RefBackend()}) {
            Tensor keys = Tensor.of(be, k, cap, kvDim), values = Tensor.of(be, v, cap, kvDim);
            Tensor keysT = Tensor.zeros(be, kvDim, cap);
            be.writeKeysTransposed(keys, keysT, tk - tq, 0, kvDim, cap);                          // the prompt
            be.writeKeysTransposed(keys.rowsNoGrad(tk - tq, tq), keysT, tq, tk - tq, kvDim, cap); // the new tokens
            float[] written = keysT.toArray();
            for (int c = 0; c < kvDim; c++) {
                for (int j = 0; j < cap; j++) {
                    float want = j < tk ? k[j * kvDim + c] : 0f;
                    if (Float.floatToIntBits(written[c * cap + j]) != Float.floatToIntBits(want)) {
                        fail(be.name() + ": transposed key component " + c + " of position " + j + " is " + written[c * cap + j]
                                + ", expected " + want);
                    }
                }
            }
            Tensor viaCache = Tensor.zeros(be, tq, HEADS, hd), direct = Tensor.zeros(be, tq, HEADS, hd);
            Tensor queries = Tensor.of(be, q, tq, HEADS, hd);
            be.attentionKeysTransposed(queries, keysT, values, viaCache, tq, tk, cap, HEADS, kvHeads, hd);
            be.attention(queries, keys, values, direct, null, 1, tq, tk, cap, HEADS, kvHeads, hd);
            float[] a = direct.toArray(), b = viaCache.toArray();
            for (int i = 0; i < a.length; i++) {
                if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
                    fail(be.description() + ": element " + i + " is " + b[i] + " over transposed keys but " + a[i]
                            + " over keys in rows (diff " + (b[i] - a[i]) + ")");
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
