package io.piece4j.tests;

import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BackendProvider;
import io.piece4j.tensor.spi.BinaryOp;
import io.piece4j.tensor.spi.RopeLayout;
import io.piece4j.tensor.spi.UnaryOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every kernel of every available backend against the reference backend, on the same inputs, at sizes
 * that are not multiples of any vector width (1, 7, 33, 65, 257), GQA ratios 1, 2 and 4, both RoPE
 * layouts. Tolerance: |x - ref| <= 2e-5 * max(1, max |ref|) elementwise, except matrix products and
 * attention, whose error grows with the reduction length: 1e-5 * sqrt(k) * max(1, max |ref|).
 */
class BackendConformanceTest {
    private static final int[] SIZES = {1, 7, 33, 65, 257};
    private static final List<Backend> OPEN = new ArrayList<>();
    private static final Backend REF = new RefBackend();

    static Stream<String> backends() {
        return Backends.providers().stream().filter(BackendProvider::isAvailable).map(BackendProvider::name);
    }

    private static Backend open(String name) {
        Backend be = Backends.create(name, 2);
        OPEN.add(be);
        return be;
    }

    @AfterAll
    static void closeAll() { OPEN.forEach(Backend::close); }

    // ---------------------------------------------------------------- the comparison machinery

    /** Random inputs, created identically on the backend under test and on ref. */
    private record Inputs(float[][] data, int[][] shapes) {
        Tensor[] on(Backend be) {
            Tensor[] t = new Tensor[data.length];
            for (int i = 0; i < t.length; i++) t[i] = Tensor.of(be, data[i], shapes[i]);
            return t;
        }
    }

    private static float[] random(Rng rng, int n, float lo, float hi) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * rng.nextFloat();
        return v;
    }

    /**
     * Runs kernel on both backends over the same inputs, then compares the tensors named by outputs
     * (indices into the inputs, which kernels write or accumulate into).
     */
    private static void compare(String what, Backend be, Inputs in, Function<Tensor[], Object> kernel, double tolScale, int... outputs) {
        Tensor[] mine = in.on(be), ref = in.on(REF);
        Object a = kernel.apply(mine), b = kernel.apply(ref);
        if (a instanceof Double x && b instanceof Double y) {
            assertTrue(Math.abs(x - y) <= 2e-5 * Math.max(1, Math.abs(y)), what + ": scalar result " + x + " vs ref " + y);
        }
        for (int o : outputs) assertClose(what + " output #" + o, mine[o].toArray(), ref[o].toArray(), tolScale);
    }

    static void assertClose(String what, float[] got, float[] want, double tolScale) {
        assertEquals(want.length, got.length, what + ": length");
        double max = 1;
        for (float w : want) max = Math.max(max, Math.abs(w));
        double tol = tolScale * max;
        int worst = -1;
        double worstErr = 0;
        for (int i = 0; i < got.length; i++) {
            double e = Math.abs((double) got[i] - want[i]);
            if (!(e <= tol) && (Double.isNaN(e) || e > worstErr)) { worstErr = Double.isNaN(e) ? Double.POSITIVE_INFINITY : e; worst = i; }
        }
        int w = worst;
        double err = worstErr;
        assertTrue(w < 0, () -> what + ": element " + w + " is " + got[w] + ", ref " + want[w] + " (error " + err + " > tolerance " + tol + ")");
    }

    private static Inputs inputs(Rng rng, float lo, float hi, int[]... shapes) {
        float[][] d = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            int n = 1;
            for (int s : shapes[i]) n *= s;
            d[i] = random(rng, n, lo, hi);
        }
        return new Inputs(d, shapes);
    }

    // ---------------------------------------------------------------- kernels

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void unaryAndBackward(String name) {
        Backend be = open(name);
        Rng rng = new Rng(1);
        for (int n : SIZES) {
            for (UnaryOp op : UnaryOp.values()) {
                boolean positive = op == UnaryOp.LOG || op == UnaryOp.SQRT;
                Inputs in = inputs(rng, positive ? 0.1f : -4f, 4f, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n});
                compare(op + " n=" + n, be, in, t -> { t[0].backend().unary(op, t[0], t[1]); t[0].backend().unaryBackward(op, t[0], t[1], t[2], t[3]); return null; }, 2e-5, 1, 3);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void binaryWithBroadcastAndBackward(String name) {
        Backend be = open(name);
        Rng rng = new Rng(2);
        for (int rows : new int[] {1, 7}) {
            for (int cols : SIZES) {
                for (int bn : new int[] {rows * cols, cols, 1}) {
                    for (BinaryOp op : BinaryOp.values()) {
                        Inputs in = inputs(rng, 0.5f, 2f, new int[] {rows, cols}, new int[] {bn}, new int[] {rows, cols},
                                new int[] {rows, cols}, new int[] {rows, cols}, new int[] {bn});
                        compare(op + " " + rows + "x" + cols + " b=" + bn, be, in, t -> {
                            Backend k = t[0].backend();
                            k.binary(op, t[0], t[1], t[2]);
                            k.binaryBackward(op, t[0], t[1], t[3], t[4], t[5]);
                            return null;
                        }, 2e-5 * Math.sqrt(rows * cols), 2, 4, 5);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void addScaledSumOfSquaresAndAxisSums(String name) {
        Backend be = open(name);
        Rng rng = new Rng(3);
        for (int n : SIZES) {
            Inputs in = inputs(rng, -1, 1, new int[] {n}, new int[] {n});
            compare("addScaled n=" + n, be, in, t -> { t[0].backend().addScaled(t[0], t[1], -0.37f); return null; }, 2e-5, 0);
            compare("sumOfSquares n=" + n, be, in, t -> t[0].backend().sumOfSquares(t[0]), 0);
            for (int[] oni : new int[][] {{1, n, 3}, {7, n, 1}, {3, 5, n}}) {
                int o = oni[0], m = oni[1], i = oni[2];
                Inputs s = inputs(rng, -1, 1, new int[] {o * m * i}, new int[] {o * i}, new int[] {o * i}, new int[] {o * m * i});
                compare("sumAxis " + o + "x" + m + "x" + i, be, s, t -> {
                    Backend k = t[0].backend();
                    k.sumAxis(t[0], t[1], o, m, i, 0.5f, true);
                    k.broadcastAxis(t[2], t[3], o, m, i, 0.5f);
                    return null;
                }, 2e-5 * Math.sqrt(m), 1, 3);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void matmulAllTransposesAccumulateAndBatch(String name) {
        Backend be = open(name);
        Rng rng = new Rng(4);
        int[][] shapes = {{1, 1, 1}, {1, 257, 65}, {7, 33, 65}, {65, 7, 257}, {33, 65, 7}, {257, 1, 33}, {64, 48, 80}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    for (boolean acc : new boolean[] {false, true}) {
                        Inputs in = inputs(rng, -1, 1, new int[] {m * k}, new int[] {k * n}, new int[] {m * n});
                        compare("matmul " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " acc=" + acc, be, in,
                                t -> { t[0].backend().matmul(t[0], ta, t[1], tb, t[2], 1, m, n, k, 0, acc); return null; },
                                1e-5 * Math.sqrt(k), 2);
                    }
                }
            }
        }
        for (long strideB : new long[] {0, 7 * 33}) {
            Inputs in = inputs(rng, -1, 1, new int[] {3 * 5 * 7}, new int[] {3 * 7 * 33}, new int[] {3 * 5 * 33});
            compare("batched matmul strideB=" + strideB, be, in,
                    t -> { t[0].backend().matmul(t[0], false, t[1], false, t[2], 3, 5, 33, 7, strideB, false); return null; }, 1e-5 * 3, 2);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void softmaxAndRmsnormWithBackward(String name) {
        Backend be = open(name);
        Rng rng = new Rng(5);
        for (int rows : new int[] {1, 7, 33}) {
            for (int cols : SIZES) {
                Inputs sm = inputs(rng, -5, 5, new int[] {rows, cols}, new int[] {rows, cols}, new int[] {rows, cols}, new int[] {rows, cols});
                compare("softmax " + rows + "x" + cols, be, sm, t -> {
                    t[0].backend().softmax(t[0], t[1], rows, cols);
                    t[0].backend().softmaxBackward(t[1], t[2], t[3], rows, cols);
                    return null;
                }, 2e-5 * Math.sqrt(cols), 1, 3);
                Inputs rn = inputs(rng, -2, 2, new int[] {rows, cols}, new int[] {cols}, new int[] {rows, cols}, new int[] {rows},
                        new int[] {rows, cols}, new int[] {rows, cols}, new int[] {cols});
                compare("rmsnorm " + rows + "x" + cols, be, rn, t -> {
                    Backend k = t[0].backend();
                    k.rmsnorm(t[0], t[1], t[2], t[3], rows, cols, 1e-5f);
                    k.rmsnormBackward(t[0], t[1], t[3], t[4], t[5], t[6], rows, cols);
                    return null;
                }, 2e-5 * Math.sqrt(cols * rows), 2, 3, 5, 6);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void ropeBothLayoutsForwardInverseAccumulate(String name) {
        Backend be = open(name);
        Rng rng = new Rng(6);
        for (RopeLayout layout : RopeLayout.values()) {
            for (int hd : new int[] {2, 8, 66}) {
                int batch = 2, seq = 7, heads = 3, maxSeq = 16, half = hd / 2;
                float[] cos = new float[maxSeq * half], sin = new float[maxSeq * half];
                for (int p = 0; p < maxSeq; p++) for (int i = 0; i < half; i++) {
                    double a = p * Math.pow(10000, -2.0 * i / hd);
                    cos[p * half + i] = (float) Math.cos(a);
                    sin[p * half + i] = (float) Math.sin(a);
                }
                int n = batch * seq * heads * hd;
                Inputs in = new Inputs(new float[][] {random(rng, n, -1, 1), new float[n], random(rng, n, -1, 1), cos, sin},
                        new int[][] {{n}, {n}, {n}, {maxSeq, half}, {maxSeq, half}});
                for (boolean inverse : new boolean[] {false, true}) {
                    compare("rope " + layout + " hd=" + hd + " inverse=" + inverse, be, in, t -> {
                        Backend k = t[0].backend();
                        k.rope(t[0], t[1], t[3], t[4], batch, seq, heads, hd, 5, layout, inverse, false);
                        k.rope(t[0], t[2], t[3], t[4], batch, seq, heads, hd, 5, layout, inverse, true);
                        return null;
                    }, 2e-5, 1, 2);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void attentionGqaRatiosWithBackwardAndKvCacheOffsets(String name) {
        Backend be = open(name);
        Rng rng = new Rng(7);
        for (int group : new int[] {1, 2, 4}) {
            for (int[] dims : new int[][] {{1, 1, 1, 7}, {2, 7, 2, 33}, {1, 33, 1, 16}, {2, 65, 2, 8}}) {
                int batch = dims[0], seq = dims[1], kvHeads = dims[2], hd = dims[3], heads = kvHeads * group;
                int qn = batch * seq * heads * hd, kn = batch * seq * kvHeads * hd, pn = batch * heads * seq * seq;
                Inputs in = inputs(rng, -1, 1, new int[] {qn}, new int[] {kn}, new int[] {kn}, new int[] {qn}, new int[] {pn},
                        new int[] {qn}, new int[] {qn}, new int[] {kn}, new int[] {kn});
                compare("attention group=" + group + " " + java.util.Arrays.toString(dims), be, in, t -> {
                    Backend k = t[0].backend();
                    k.attention(t[0], t[1], t[2], t[3], t[4], batch, seq, seq, seq, heads, kvHeads, hd);
                    k.attentionBackward(t[0], t[1], t[2], t[4], t[5], t[6], t[7], t[8], batch, seq, seq, heads, kvHeads, hd);
                    return null;
                }, 1e-5 * Math.sqrt(seq * hd), 3, 4, 6, 7, 8);
            }
            // decoding: 3 new queries against 20 cached keys in a cache of capacity 32
            int batch = 2, tq = 3, tk = 20, cap = 32, kvHeads = 2, heads = 2 * group, hd = 16;
            Inputs in = inputs(rng, -1, 1, new int[] {batch * tq * heads * hd}, new int[] {batch * cap * kvHeads * hd},
                    new int[] {batch * cap * kvHeads * hd}, new int[] {batch * tq * heads * hd});
            compare("attention with kv cache group=" + group, be, in, t -> {
                t[0].backend().attention(t[0], t[1], t[2], t[3], null, batch, tq, tk, cap, heads, kvHeads, hd);
                return null;
            }, 1e-5 * Math.sqrt(tk * hd), 3);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void swigluEmbeddingCrossEntropyAdamw(String name) {
        Backend be = open(name);
        Rng rng = new Rng(8);
        for (int n : SIZES) {
            Inputs sw = inputs(rng, -4, 4, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n});
            compare("swiglu n=" + n, be, sw, t -> {
                t[0].backend().swiglu(t[0], t[1], t[2]);
                t[0].backend().swigluBackward(t[0], t[1], t[3], t[4], t[5]);
                return null;
            }, 2e-5, 2, 4, 5);

            int vocab = n + 2, dim = 7;
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = rng.nextInt(vocab);
            Inputs em = inputs(rng, -1, 1, new int[] {vocab, dim}, new int[] {n, dim}, new int[] {n, dim}, new int[] {vocab, dim});
            compare("embedding n=" + n, be, em, t -> {
                t[0].backend().embedding(t[0], ids, t[1], dim);
                t[0].backend().embeddingBackward(t[2], ids, t[3], dim);
                return null;
            }, 2e-5 * Math.sqrt(n), 1, 3);

            int rows = 7;
            int[] targets = new int[rows];
            for (int i = 0; i < rows; i++) targets[i] = i == 3 ? -1 : rng.nextInt(n);
            Inputs ce = inputs(rng, -6, 6, new int[] {rows, n}, new int[] {rows, n}, new int[] {rows, n});
            compare("cross-entropy vocab=" + n, be, ce, t -> {
                double loss = t[0].backend().crossEntropy(t[0], targets, t[1], rows, n);
                t[0].backend().crossEntropyBackward(t[1], targets, t[2], rows, n, 0.25f);
                return loss;
            }, 2e-5, 1, 2);

            Inputs ad = inputs(rng, -1, 1, new int[] {n}, new int[] {n}, new int[] {n}, new int[] {n});
            for (int i = 0; i < n; i++) ad.data()[3][i] = Math.abs(ad.data()[3][i]); // v >= 0
            compare("adamw n=" + n, be, ad, t -> {
                t[0].backend().adamw(t[0], t[1], t[2], t[3], 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.19f, 0.0975f);
                return null;
            }, 2e-5, 0, 2, 3);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void everyKernelIsThreadCountInvariant(String name) {
        // the same inputs through 1, 2 and 3 threads must give the same bits
        Rng rng = new Rng(9);
        int batch = 2, seq = 33, heads = 4, kvHeads = 2, hd = 16, rows = 65, cols = 257;
        Inputs in = inputs(rng, -1, 1, new int[] {rows * cols}, new int[] {cols * 65}, new int[] {rows * 65}, new int[] {cols},
                new int[] {rows * cols}, new int[] {rows}, new int[] {rows * cols}, new int[] {rows * cols}, new int[] {cols},
                new int[] {batch * seq * heads * hd}, new int[] {batch * seq * kvHeads * hd}, new int[] {batch * seq * kvHeads * hd},
                new int[] {batch * seq * heads * hd}, new int[] {batch * heads * seq * seq}, new int[] {batch * seq * heads * hd},
                new int[] {batch * seq * heads * hd}, new int[] {batch * seq * kvHeads * hd}, new int[] {batch * seq * kvHeads * hd});
        BiConsumer<Backend, Tensor[]> all = (k, t) -> {
            k.matmul(t[0], false, t[1], false, t[2], 1, rows, 65, cols, 0, false);
            k.matmul(t[0], true, t[2], false, t[1], 1, cols, 65, rows, 0, true);
            k.rmsnorm(t[0], t[3], t[4], t[5], rows, cols, 1e-5f);
            k.rmsnormBackward(t[0], t[3], t[5], t[6], t[7], t[8], rows, cols);
            k.softmax(t[0], t[6], rows, cols);
            k.attention(t[9], t[10], t[11], t[12], t[13], batch, seq, seq, seq, heads, kvHeads, hd);
            k.attentionBackward(t[9], t[10], t[11], t[13], t[14], t[15], t[16], t[17], batch, seq, seq, heads, kvHeads, hd);
        };
        List<float[][]> results = new ArrayList<>();
        for (int threads : new int[] {1, 2, 3}) {
            try (Backend k = Backends.create(name, threads)) {
                Tensor[] t = in.on(k);
                all.accept(k, t);
                float[][] r = new float[t.length][];
                for (int i = 0; i < t.length; i++) r[i] = t[i].toArray();
                results.add(r);
            }
        }
        for (int i = 1; i < results.size(); i++) {
            for (int j = 0; j < results.get(0).length; j++) {
                float[] a = results.get(0)[j], b = results.get(i)[j];
                for (int e = 0; e < a.length; e++) {
                    if (Float.floatToRawIntBits(a[e]) != Float.floatToRawIntBits(b[e])) {
                        throw new AssertionError(name + ": tensor #" + j + " element " + e + " differs between 1 and "
                                + (i + 1) + " threads: " + a[e] + " vs " + b[e]);
                    }
                }
            }
        }
    }
}
