package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.Suite;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GEM: its projection (hand-made cases, the QP's optimality) and the constraint it enforces on a tiny model. */
class GradientEpisodicMemoryTest {

    @Test
    void handMadeTwoTaskCaseProjectsOntoTheConeOfTheQp() {
        // Memory gradients G1 = (1, 0), G2 = (-1, 1): the feasible cone is {z : z1 >= 0, z2 >= z1}. The step's
        // gradient g = (-1, -3) conflicts with both (<g, G1> = -1, <g, G2> = -2) and lies in the cone's polar
        // (y2 <= 0 and y1 + y2 <= 0), so the projection is the origin: 0 = g + v1 G1 + v2 G2 gives v = (4, 3).
        float[] g = {-1, -3};
        GradientEpisodicMemory.Outcome o = GradientEpisodicMemory.project(g, new float[][] {{1, 0}, {-1, 1}}, 0);
        assertTrue(o.projected());
        assertArrayEquals(new double[] {-1, -2}, o.dotsBefore(), 0);
        assertArrayEquals(new double[] {4, 3}, o.dual(), 1e-12, "dual solution");
        assertArrayEquals(new float[] {0, 0}, g, 1e-6f, "projected gradient");

        // In 3-D, G1 = (1, 0, 0), G2 = (0, 1, 1), g = (-1, 1, -3): both conflict. The closest z with z1 >= 0 and
        // z2 + z3 >= 0 is (0, 2, -2) (z1 clipped to 0; (1, -3) moved by (1, 1) onto z2 + z3 = 0), v = (1, 1).
        float[] g3 = {-1, 1, -3};
        o = GradientEpisodicMemory.project(g3, new float[][] {{1, 0, 0}, {0, 1, 1}}, 0);
        assertArrayEquals(new double[] {1, 1}, o.dual(), 1e-12);
        assertArrayEquals(new float[] {0, 2, -2}, g3, 1e-6f);

        // Only the first constraint violated: g = (-1, 3, -1) has <g, G2> = 2 >= 0; z = (0, 3, -1), v = (1, 0).
        float[] g4 = {-1, 3, -1};
        o = GradientEpisodicMemory.project(g4, new float[][] {{1, 0, 0}, {0, 1, 1}}, 0);
        assertArrayEquals(new double[] {1, 0}, o.dual(), 1e-12);
        assertArrayEquals(new float[] {0, 3, -1}, g4, 1e-6f);

        // No conflict: the gradient is left bit for bit.
        float[] g5 = {2, 1, -0.5f};
        o = GradientEpisodicMemory.project(g5, new float[][] {{1, 0, 0}, {0, 1, 1}}, 0);
        assertFalse(o.projected());
        assertArrayEquals(new float[] {2, 1, -0.5f}, g5, 0f);
    }

    @Test
    void marginKeepsEveryDualVariableAtLeastTheMargin() {
        // GEM's code form: v >= 0.5. Hand case: G1 = (1, 0), G2 = (0, 1), g = (-1, 2). The QP in u = v - 0.5 >= 0 is
        // min 1/2 |u|^2 + (q + 0.5 M 1)^T u with q = (-1, 2): linear term (-0.5, 2.5) -> u = (0.5, 0), v = (1, 0.5),
        // z = g + v1 G1 + v2 G2 = (0, 2.5).
        float[] g = {-1, 2};
        GradientEpisodicMemory.Outcome o = GradientEpisodicMemory.project(g, new float[][] {{1, 0}, {0, 1}}, 0.5);
        assertArrayEquals(new double[] {1, 0.5}, o.dual(), 1e-12);
        assertArrayEquals(new float[] {0, 2.5f}, g, 1e-6f);
    }

    /** The KKT point by trying every active set (exponential, fine for n <= 7): the unique minimiser when M is positive definite. */
    private static double[] bruteForce(double[][] m, double[] q) {
        int n = q.length;
        double best = Double.POSITIVE_INFINITY;
        double[] bestV = null;
        for (int set = 0; set < 1 << n; set++) {
            final int s = set;
            int[] idx = java.util.stream.IntStream.range(0, n).filter(i -> (s >> i & 1) == 1).toArray();
            double[][] a = new double[idx.length][idx.length];
            double[] b = new double[idx.length];
            for (int r = 0; r < idx.length; r++) {
                for (int c = 0; c < idx.length; c++) a[r][c] = m[idx[r]][idx[c]];
                b[r] = -q[idx[r]];
            }
            double[] y = gauss(a, b);
            if (y == null) continue;
            double[] v = new double[n];
            boolean ok = true;
            for (int r = 0; r < idx.length; r++) { v[idx[r]] = y[r]; ok &= y[r] >= -1e-12; }
            if (!ok) continue;
            double f = objective(m, q, v);
            if (f < best) { best = f; bestV = v; }
        }
        return bestV;
    }

    private static double[] gauss(double[][] a, double[] b) {
        int n = b.length;
        double[][] x = new double[n][n + 1];
        for (int i = 0; i < n; i++) { System.arraycopy(a[i], 0, x[i], 0, n); x[i][n] = b[i]; }
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(x[r][c]) > Math.abs(x[p][c])) p = r;
            if (Math.abs(x[p][c]) < 1e-12) return null;
            double[] t = x[c]; x[c] = x[p]; x[p] = t;
            for (int r = 0; r < n; r++) {
                if (r == c) continue;
                double f = x[r][c] / x[c][c];
                for (int k = c; k <= n; k++) x[r][k] -= f * x[c][k];
            }
        }
        double[] y = new double[n];
        for (int i = 0; i < n; i++) y[i] = x[i][n] / x[i][i];
        return y;
    }

    private static double objective(double[][] m, double[] q, double[] v) {
        double f = 0;
        for (int i = 0; i < v.length; i++) {
            f += q[i] * v[i];
            for (int j = 0; j < v.length; j++) f += 0.5 * v[i] * m[i][j] * v[j];
        }
        return f;
    }

    @Test
    void nonNegativeQuadraticMatchesBruteForceOverEveryActiveSet() {
        Rng r = new Rng(17);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + trial % 7, dim = n + 3;
            double[][] g = new double[n][dim];
            for (double[] row : g) for (int j = 0; j < dim; j++) row[j] = r.nextGaussian();
            double[] grad = new double[dim];
            for (int j = 0; j < dim; j++) grad[j] = r.nextGaussian() * (1 + trial % 3);
            double[][] m = new double[n][n];
            double[] q = new double[n];
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) for (int j = 0; j < dim; j++) m[a][b] += g[a][j] * g[b][j];
                for (int j = 0; j < dim; j++) q[a] += g[a][j] * grad[j];
            }
            double[] v = NonNegativeQuadratic.solve(m, q), want = bruteForce(m, q);
            assertArrayEquals(want, v, 1e-8 * (1 + java.util.Arrays.stream(want).map(Math::abs).max().orElse(0)), "trial " + trial + " (n = " + n + ")");
            // KKT: v >= 0, M v + q >= 0, complementary
            for (int i = 0; i < n; i++) {
                double w = q[i];
                for (int k = 0; k < n; k++) w += m[i][k] * v[k];
                assertTrue(v[i] >= 0 && w >= -1e-9 && Math.abs(v[i] * w) < 1e-8, "KKT at " + i + " in trial " + trial);
            }
        }
    }

    @Test
    void duplicatedMemoryGradientsStillGiveTheProjection() {
        // G G^T is singular when two tasks' gradients coincide; the projection is still the one onto their half-space
        float[] g = {-2, 1};
        GradientEpisodicMemory.Outcome o = GradientEpisodicMemory.project(g, new float[][] {{1, 0}, {1, 0}, {0, 1}}, 0);
        assertTrue(o.projected());
        assertArrayEquals(new float[] {0, 1}, g, 1e-6f);
        assertEquals(2, o.dual()[0] + o.dual()[1], 1e-9, "the two equal constraints share the multiplier 2");
    }

    private static final Suite CONFLICT = TinyTasks.suite(
            // the same prompts with other answers: the memory's gradient and the task's point opposite ways
            TinyTasks.task("left", 8, i -> new String[] {"q" + (char) ('a' + i) + "=", "L"}),
            TinyTasks.task("right", 8, i -> new String[] {"q" + (char) ('a' + i) + "=", "R"}),
            TinyTasks.task("again", 8, i -> new String[] {"q" + (char) ('a' + i) + "=", "Q"}));

    @Test
    void afterTheProjectionEveryStoredGradientHasANonNegativeInnerProduct() {
        LlamaModel m = TinyTasks.model(2);
        // first learn "left" a little, so that learning "again" (other answers to the same prompts) undoes it
        TaskContext first = TinyTasks.context(m, CONFLICT, 0, TinyTasks.settings(4), 1, true);
        new io.piece4j.piece.train.Trainer(m, (io.piece4j.piece.Mask) null, first.settings().training(1e-2f, 1),
                first.shuffledEpochs(first.train()), "left", null).run(false);
        GradientEpisodicMemory gem = new GradientEpisodicMemory(TinyTasks.options("gem.memory", "4"));
        assertTrue(gem.seesOldData());
        TaskContext ctx = TinyTasks.context(m, CONFLICT, 2, TinyTasks.settings(4), 1, true);
        TrainPlan plan = gem.prepare(ctx);
        GradientEpisodicMemory.Projection hook = (GradientEpisodicMemory.Projection) plan.hooks();
        Tensor grads = m.enableGradients();
        m.setTrainableIndices(null);
        TokenBatch b = ctx.importanceBatches().getFirst();
        grads.zero();
        m.loss(b.tokens(), b.targets(), b.batch(), b.seq()).backward();
        float[] g = grads.toArray();
        hook.beforeStep(m, grads, 0);
        float[] projected = grads.toArray();

        GradientEpisodicMemory.Outcome o = hook.last;
        assertTrue(o.projected(), "the conflicting memories force a projection: inner products " + java.util.Arrays.toString(o.dotsBefore()));
        // the memory gradients again, computed independently at the same weights
        float[][] memory = new float[2][];
        for (int k = 0; k < 2; k++) {
            var kept = EpisodicMemory.draw(CONFLICT.tasks().get(k), k, 4, 1, TinyTasks.TOKENIZER, m.config().maxSeqLen());
            grads.zero();
            TokenBatch mb = io.piece4j.piece.data.Batcher.inOrder(kept, 4, m.config().maxSeqLen()).getFirst();
            m.loss(mb.tokens(), mb.targets(), mb.batch(), mb.seq()).backward();
            memory[k] = grads.toArray();
            assertEquals(o.dotsBefore()[k], GradientEpisodicMemory.dot(memory[k], g), 1e-9 * Math.abs(o.dotsBefore()[k]), "memory " + k);
        }
        for (int k = 0; k < 2; k++) {
            double d = GradientEpisodicMemory.dot(memory[k], projected);
            double scale = Math.sqrt(GradientEpisodicMemory.dot(memory[k], memory[k]) * GradientEpisodicMemory.dot(projected, projected));
            assertTrue(d >= -1e-6 * scale, "memory " + k + ": <G_k, projected> = " + d + " (scale " + scale + ")");
        }
        // and it is the QP's solution: the closest such vector, i.e. projected = g + G^T v with the brute-force dual
        double[][] mm = new double[2][2];
        double[] q = new double[2];
        for (int a = 0; a < 2; a++) {
            q[a] = GradientEpisodicMemory.dot(memory[a], g);
            for (int c = 0; c < 2; c++) mm[a][c] = GradientEpisodicMemory.dot(memory[a], memory[c]);
        }
        double[] v = bruteForce(mm, q);
        for (int j = 0; j < g.length; j++) {
            double want = g[j] + v[0] * memory[0][j] + v[1] * memory[1][j];
            assertEquals(want, projected[j], 1e-5 * Math.abs(want) + 1e-7, "projected gradient at " + j);
        }
    }

    @Test
    void firstTaskHasNothingToProject() {
        LlamaModel m = TinyTasks.model(2);
        TrainPlan plan = new GradientEpisodicMemory(TinyTasks.options()).prepare(TinyTasks.context(m, CONFLICT, 0, TinyTasks.settings(4), 1, true));
        assertSame(io.piece4j.piece.train.TrainingHooks.NONE, plan.hooks());
    }

    @Test
    void badMemoryOrMarginIsRejected() {
        for (String[] bad : new String[][] {{"gem.memory", "0"}, {"gem.memory", "2.5"}, {"gem.margin", "-0.5"}, {"gem.memroy", "3"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new GradientEpisodicMemory(TinyTasks.options(bad[0], bad[1])), bad[0] + "=" + bad[1]);
            assertTrue(e.getMessage().contains(bad[0]), e.getMessage());
        }
    }
}
