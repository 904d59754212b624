package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.data.Batcher;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.TrainingHooks;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.Elementwise;

import java.util.ArrayList;
import java.util.List;

/**
 * GEM (Lopez-Paz and Ranzato 2017): full fine-tuning with a memory of m examples of each earlier task.
 * At every optimizer step the gradient of the mean answer loss on each task's memory is computed at the
 * current weights (G_k, P floats each); if the step's gradient g conflicts with any of them
 * (&lt;g, G_k&gt; &lt; 0) it is replaced by its projection onto the cone {z : &lt;z, G_k&gt; &gt;= 0 for all k}:
 *
 * <pre>
 *   primal   minimise 1/2 ||z - g||^2  subject to  G z >= 0           (G: earlier tasks x P)
 *   dual     minimise 1/2 v^T (G G^T) v + (G g)^T v  subject to  v >= margin,   z = g + G^T v
 * </pre>
 *
 * The dual has one variable per earlier task and is solved exactly by {@link NonNegativeQuadratic}
 * (substituting v = margin + u). margin 0 is the paper's QP; GEM's and TRACE's code use 0.5, which pushes
 * the update towards every memory, conflicting or not.
 *
 * <p>The memories are drawn once per task from the run's seed ({@link EpisodicMemory}), so a resumed run
 * projects with the same memories; nothing is kept between tasks but the drawn indices' seed. Extra
 * cost per step: one forward and backward over m examples for each earlier task, and (earlier tasks) x P
 * floats for their gradients.
 */
public final class GradientEpisodicMemory implements ContinualMethod {
    static final String MEMORY = "gem.memory", MARGIN = "gem.margin";
    static final int DEFAULT_MEMORY = 8;
    static final double DEFAULT_MARGIN = 0;

    private final int memoryPerTask;
    private final double margin;

    public GradientEpisodicMemory(MethodOptions options) {
        options.checkKnown("gem.", MEMORY, MARGIN);
        this.memoryPerTask = options.integer(MEMORY, DEFAULT_MEMORY);
        this.margin = options.number(MARGIN, DEFAULT_MARGIN);
        if (memoryPerTask < 1) throw new IllegalArgumentException("--method-setting " + MEMORY + "=" + memoryPerTask + ": expected at least 1 example per task");
        if (!(margin >= 0) || Double.isInfinite(margin)) {
            throw new IllegalArgumentException("--method-setting " + MARGIN + "=" + margin + ": expected a finite number >= 0");
        }
    }

    @Override public String name() { return "gem"; }

    @Override
    public String describe() {
        return "all parameters; each step's gradient projected (GEM's QP, margin " + ElasticWeightConsolidation.fmt(margin)
                + ") so it does not increase the loss on " + memoryPerTask + " kept examples of each earlier task";
    }

    @Override public boolean seesOldData() { return true; }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        Trainable all = Trainable.ofModel(ctx.model(), null);
        if (ctx.taskIndex() == 0) return new TrainPlan(all, TrainingHooks.NONE, null, null);
        List<List<TokenBatch>> memories = new ArrayList<>();
        for (List<Example> kept : EpisodicMemory.ofEarlierTasks(ctx, n -> memoryPerTask)) {
            memories.add(Batcher.inOrder(kept, ctx.settings().batchSize(), ctx.maxSeqLen()));
        }
        return new TrainPlan(all, new Projection(memories, margin), null, null);
    }

    /** What one projection did, for tests and diagnostics. */
    record Outcome(double[] dotsBefore, double[] dual, boolean projected) {}

    /** The gradient hook: memory gradients at the current weights, then the projection when a constraint is violated. */
    static final class Projection implements TrainingHooks {
        private final List<List<TokenBatch>> memories; // per earlier task, its kept examples in batches
        private final double margin;
        private final float[][] memoryGrads;           // (earlier tasks, P), reused from step to step
        private float[] current;                       // (P) the step's own gradient, reused
        Outcome last;
        long projectedSteps, steps;

        Projection(List<List<TokenBatch>> memories, double margin) {
            this.memories = memories;
            this.margin = margin;
            this.memoryGrads = new float[memories.size()][];
        }

        @Override
        public double beforeStep(LlamaModel model, Tensor grads, long step) {
            if (current == null) current = new float[grads.size()];
            float[] g = current; // (P) this step's gradient, kept while the memories' are computed
            grads.backend().read(grads.storage(), grads.offset(), g, 0, g.length);
            for (int k = 0; k < memories.size(); k++) {
                List<TokenBatch> batches = memories.get(k);
                grads.zero();
                for (TokenBatch b : batches) {
                    Tensor loss = model.loss(b.tokens(), b.targets(), b.batch(), b.seq());
                    (batches.size() == 1 ? loss : Elementwise.scale(loss, 1f / batches.size())).backward();
                }
                if (memoryGrads[k] == null) memoryGrads[k] = new float[g.length];
                grads.backend().read(grads.storage(), grads.offset(), memoryGrads[k], 0, g.length);
            }
            last = project(g, memoryGrads, margin);
            grads.copyFrom(g);
            steps++;
            if (last.projected()) projectedSteps++;
            return 0;
        }
    }

    /**
     * Projects g in place when it conflicts with a memory gradient: g = g + sum_k v_k G_k with v GEM's dual
     * solution; leaves g as it is when every inner product is >= 0.
     */
    static Outcome project(float[] g, float[][] memoryGrads, double margin) {
        int t = memoryGrads.length;
        double[] q = new double[t]; // <G_k, g>
        boolean conflict = false;
        for (int k = 0; k < t; k++) {
            q[k] = dot(memoryGrads[k], g);
            conflict |= q[k] < 0;
        }
        if (!conflict) return new Outcome(q, new double[t], false);
        double[][] m = new double[t][t]; // G G^T
        for (int a = 0; a < t; a++) {
            for (int b = 0; b <= a; b++) m[a][b] = m[b][a] = dot(memoryGrads[a], memoryGrads[b]);
        }
        // v = margin + u with u >= 0: the linear term becomes q + M * margin
        double[] shifted = new double[t];
        for (int a = 0; a < t; a++) {
            double s = q[a];
            for (int b = 0; b < t; b++) s += m[a][b] * margin;
            shifted[a] = s;
        }
        double[] v = NonNegativeQuadratic.solve(m, shifted);
        for (int a = 0; a < t; a++) v[a] += margin;
        for (int j = 0; j < g.length; j++) {
            double z = g[j];
            for (int k = 0; k < t; k++) z += v[k] * memoryGrads[k][j];
            g[j] = (float) z;
        }
        return new Outcome(q, v, true);
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) s += (double) a[j] * b[j];
        return s;
    }
}
