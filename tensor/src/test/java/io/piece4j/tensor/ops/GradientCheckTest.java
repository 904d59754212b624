package io.piece4j.tensor.ops;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.RopeLayout;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference check of every op's hand-written backward, on the reference backend in float64.
 * For an op f and inputs x, the scalar L = sum(f(x) * R) with a fixed random R is differentiated two
 * ways: by backward(), and by central differences (L(x + h e_i) - L(x - h e_i)) / 2h with h = 1e-6.
 * Shapes are drawn at random per repetition and include size-1 and odd dimensions.
 */
class GradientCheckTest {
    private static final double TOLERANCE = 1e-6; // max |analytic - numeric| / max(1, max |numeric|)
    private static final double H = 1e-6;
    private final Backend be = RefBackend.float64();

    /** A random size in {1, 2, 3, 5, 7} so every op meets size-1 and odd dimensions. */
    private static int dim(Rng rng) { return new int[] {1, 2, 3, 5, 7}[rng.nextInt(5)]; }

    private Tensor input(Rng rng, double lo, double hi, int... shape) {
        Tensor t = Tensor.zeros(be, shape);
        double[] v = new double[t.size()];
        for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rng.nextDouble();
        return t.copyFromDouble(v).requireGrad();
    }

    /**
     * Checks d(sum(f(inputs) * R))/d(input) for every input against central differences; the message names
     * the op, the input, the worst coordinate and the relative error.
     */
    private void check(String op, Rng rng, Function<List<Tensor>, Tensor> f, Tensor... inputs) {
        List<Tensor> in = List.of(inputs);
        Tensor out0;
        try (var s = Autograd.noGrad()) { out0 = f.apply(in); }
        double[] r = new double[out0.size()];
        for (int i = 0; i < r.length; i++) r[i] = rng.nextDouble() * 2 - 1;
        Tensor weights = Tensor.zeros(be, out0.shape()).copyFromDouble(r);

        for (Tensor t : inputs) t.setGrad(null);
        Tensor loss = Reduce.sumAll(Elementwise.mul(f.apply(in), weights));
        loss.backward();

        for (int w = 0; w < inputs.length; w++) {
            int which = w;
            Tensor x = inputs[which];
            double[] analytic = x.grad() == null ? new double[x.size()] : x.grad().toDoubleArray();
            double[] xv = x.toDoubleArray();
            double[] numeric = new double[xv.length];
            for (int i = 0; i < xv.length; i++) {
                double orig = xv[i];
                xv[i] = orig + H; x.copyFromDouble(xv);
                double lp = weightedSum(f, in, r);
                xv[i] = orig - H; x.copyFromDouble(xv);
                double lm = weightedSum(f, in, r);
                xv[i] = orig; x.copyFromDouble(xv);
                numeric[i] = (lp - lm) / (2 * H);
            }
            double scale = 1, worst = 0;
            int worstAt = -1;
            for (double v : numeric) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < numeric.length; i++) {
                double e = Math.abs(analytic[i] - numeric[i]) / scale;
                if (e > worst) { worst = e; worstAt = i; }
            }
            double err = worst;
            int at = worstAt;
            assertTrue(err <= TOLERANCE, () -> op + ": input #" + which + " of " + inputs.length + " " + x
                    + " relative error " + err + " at element " + at + " (analytic " + analytic[at] + ", numeric "
                    + numeric[at] + "), tolerance " + TOLERANCE);
        }
    }

    private double weightedSum(Function<List<Tensor>, Tensor> f, List<Tensor> in, double[] r) {
        try (var s = Autograd.noGrad()) {
            double[] y = f.apply(in).toDoubleArray();
            double sum = 0;
            for (int i = 0; i < y.length; i++) sum += y[i] * r[i];
            return sum;
        }
    }

    @RepeatedTest(4)
    void matmulAllTransposes(RepetitionInfo rep) {
        Rng rng = new Rng(100 + rep.getCurrentRepetition());
        int m = dim(rng), n = dim(rng), k = dim(rng);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Tensor a = ta ? input(rng, -1, 1, k, m) : input(rng, -1, 1, m, k);
                Tensor b = tb ? input(rng, -1, 1, n, k) : input(rng, -1, 1, k, n);
                check("matmul ta=" + ta + " tb=" + tb, rng, in -> MatMul.matmul(in.get(0), ta, in.get(1), tb), a, b);
            }
        }
    }

    @RepeatedTest(3)
    void batchedMatmulWithOwnAndSharedB(RepetitionInfo rep) {
        Rng rng = new Rng(200 + rep.getCurrentRepetition());
        int bt = dim(rng) + 1, m = dim(rng), n = dim(rng), k = dim(rng);
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Tensor a = ta ? input(rng, -1, 1, bt, k, m) : input(rng, -1, 1, bt, m, k);
                Tensor own = tb ? input(rng, -1, 1, bt, n, k) : input(rng, -1, 1, bt, k, n);
                Tensor shared = tb ? input(rng, -1, 1, n, k) : input(rng, -1, 1, k, n);
                check("batched matmul ta=" + ta + " tb=" + tb, rng, in -> MatMul.matmul(in.get(0), ta, in.get(1), tb), a, own);
                check("shared-B matmul ta=" + ta + " tb=" + tb, rng, in -> MatMul.matmul(in.get(0), ta, in.get(1), tb), a, shared);
            }
        }
    }

    @Test
    void linear() {
        Rng rng = new Rng(3);
        check("linear", rng, in -> MatMul.linear(in.get(0), in.get(1)), input(rng, -1, 1, 2, 3, 5), input(rng, -1, 1, 7, 5));
    }

    @RepeatedTest(3)
    void broadcastArithmetic(RepetitionInfo rep) {
        Rng rng = new Rng(300 + rep.getCurrentRepetition());
        int rows = dim(rng), cols = dim(rng);
        Tensor a = input(rng, 0.5, 2, rows, cols);
        for (int[] bShape : new int[][] {{rows, cols}, {cols}, {1}}) {
            Tensor b = input(rng, 0.5, 2, bShape);
            check("add " + java.util.Arrays.toString(bShape), rng, in -> Elementwise.add(in.get(0), in.get(1)), a, b);
            check("sub", rng, in -> Elementwise.sub(in.get(0), in.get(1)), a, b);
            check("mul", rng, in -> Elementwise.mul(in.get(0), in.get(1)), a, b);
            check("div", rng, in -> Elementwise.div(in.get(0), in.get(1)), a, b);
        }
    }

    @Test
    void unaryFunctions() {
        Rng rng = new Rng(4);
        check("exp", rng, in -> Elementwise.exp(in.get(0)), input(rng, -2, 2, 3, 7));
        check("log", rng, in -> Elementwise.log(in.get(0)), input(rng, 0.5, 3, 7));
        check("silu", rng, in -> Elementwise.silu(in.get(0)), input(rng, -4, 4, 5, 3));
        check("neg", rng, in -> Elementwise.neg(in.get(0)), input(rng, -1, 1, 1));
        check("square", rng, in -> Elementwise.square(in.get(0)), input(rng, -2, 2, 2, 5));
        check("sqrt", rng, in -> Elementwise.sqrt(in.get(0)), input(rng, 0.5, 3, 5));
        check("scale", rng, in -> Elementwise.scale(in.get(0), -0.7f), input(rng, -2, 2, 3));
    }

    @RepeatedTest(3)
    void sumAndMeanOverEachAxis(RepetitionInfo rep) {
        Rng rng = new Rng(500 + rep.getCurrentRepetition());
        Tensor x = input(rng, -1, 1, dim(rng), dim(rng), dim(rng));
        for (int axis = 0; axis < 3; axis++) {
            int ax = axis;
            check("sum axis " + ax, rng, in -> Reduce.sum(in.get(0), ax), x);
            check("mean axis " + ax, rng, in -> Reduce.mean(in.get(0), ax), x);
        }
        check("meanAll", rng, in -> Reduce.meanAll(in.get(0)), x);
    }

    @RepeatedTest(3)
    void softmaxLastAxis(RepetitionInfo rep) {
        Rng rng = new Rng(600 + rep.getCurrentRepetition());
        check("softmax", rng, in -> Softmax.softmax(in.get(0)), input(rng, -3, 3, dim(rng), dim(rng) + 1));
    }

    @RepeatedTest(3)
    void rmsnormInputAndWeight(RepetitionInfo rep) {
        Rng rng = new Rng(700 + rep.getCurrentRepetition());
        int cols = dim(rng) + 1;
        check("rmsnorm", rng, in -> RmsNorm.rmsnorm(in.get(0), in.get(1), 1e-5f),
                input(rng, -2, 2, dim(rng), cols), input(rng, 0.5, 1.5, cols));
    }

    @RepeatedTest(2)
    void ropeBothLayouts(RepetitionInfo rep) {
        Rng rng = new Rng(800 + rep.getCurrentRepetition());
        int hd = 2 * (dim(rng) + 1), seq = dim(rng);
        RopeTable table = RopeTable.standard(be, 16, hd, 10000);
        for (RopeLayout layout : RopeLayout.values()) {
            check("rope " + layout, rng, in -> Rope.rope(in.get(0), table, 3, layout), input(rng, -1, 1, 2, seq, dim(rng), hd));
        }
    }

    @RepeatedTest(2)
    void anIntermediateReadByTwoProductsAndARotation(RepetitionInfo rep) {
        // h's gradient gets three contributions, in the backward's order: the rotation's (through a reshape), then the two
        // products' (matmul itself, which linear would reach through a reshape of its own). The first to come writes
        // storage that was not cleared; the others must add to it, not overwrite it.
        Rng rng = new Rng(1000 + rep.getCurrentRepetition());
        int hd = 2 * (dim(rng) + 1), seq = dim(rng), heads = dim(rng), rows = seq * heads;
        RopeTable table = RopeTable.standard(be, 16, hd, 10000);
        check("two products and a rotation of one intermediate", rng, in -> {
            Tensor h = Elementwise.mul(in.get(0), in.get(0));                                                  // (rows, hd)
            Tensor products = Elementwise.add(MatMul.matmul(h, false, in.get(1), true), MatMul.matmul(h, false, in.get(2), true));
            Tensor rotated = Rope.rope(h.reshape(1, seq, heads, hd), table, 2, RopeLayout.INTERLEAVED).reshape(rows, hd);
            return Elementwise.add(products, rotated);                                                         // (rows, hd)
        }, input(rng, -1, 1, rows, hd), input(rng, -1, 1, hd, hd), input(rng, -1, 1, hd, hd));
    }

    @RepeatedTest(3)
    void causalAttentionWithGroupedHeads(RepetitionInfo rep) {
        Rng rng = new Rng(900 + rep.getCurrentRepetition());
        int batch = 1 + rng.nextInt(2), seq = dim(rng), hd = dim(rng) + 1;
        for (int group : new int[] {1, 2, 4}) {
            int kvHeads = 1 + rng.nextInt(2), heads = kvHeads * group;
            check("attention group " + group, rng, in -> Attention.causal(in.get(0), in.get(1), in.get(2)),
                    input(rng, -1, 1, batch, seq, heads, hd), input(rng, -1, 1, batch, seq, kvHeads, hd),
                    input(rng, -1, 1, batch, seq, kvHeads, hd));
        }
    }

    @Test
    void swiglu() {
        Rng rng = new Rng(10);
        check("swiglu", rng, in -> SwiGlu.swiglu(in.get(0), in.get(1)), input(rng, -3, 3, 3, 7), input(rng, -2, 2, 3, 7));
    }

    @Test
    void embeddingWithRepeatedIds() {
        Rng rng = new Rng(11);
        check("embedding", rng, in -> Embedding.lookup(in.get(0), new int[] {2, 0, 2, 4, 2}), input(rng, -1, 1, 5, 3));
    }

    @RepeatedTest(3)
    void crossEntropyWithIgnoredRows(RepetitionInfo rep) {
        Rng rng = new Rng(1200 + rep.getCurrentRepetition());
        int rows = dim(rng) + 2, vocab = dim(rng) + 1;
        int[] targets = new int[rows];
        for (int i = 0; i < rows; i++) targets[i] = i % 3 == 1 ? -1 : rng.nextInt(vocab);
        check("cross-entropy", rng, in -> CrossEntropy.mean(in.get(0), targets), input(rng, -3, 3, rows, vocab));
    }

    @Test
    void viewsPassGradientsThrough() {
        Rng rng = new Rng(13);
        check("reshape", rng, in -> in.get(0).reshape(5, 2), input(rng, -1, 1, 2, 5));
        check("rows", rng, in -> in.get(0).rows(1, 2), input(rng, -1, 1, 4, 3));
    }
}
