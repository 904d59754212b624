package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.FloatArrayFile;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.TrainingHooks;
import io.piece4j.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * EWC (Kirkpatrick et al. 2017) in its usual multi-task form: full fine-tuning plus the penalty
 *
 * <pre>
 *   (lambda / 2) * sum_j F_j (theta_j - theta*_j)^2        gradient: lambda * F_j (theta_j - theta*_j)
 * </pre>
 *
 * where F is the sum over the finished tasks of each task's diagonal empirical Fisher, measured at the
 * weights that task left, and theta* the weights after the last finished task. The state is two
 * P-long float arrays whatever the number of tasks. A task's Fisher is the mean over its training data,
 * in dataset order and batches of the importance batch size, of the squared gradient of the batch's
 * mean answer loss: PIECE-F's H divided by the number of batches, here over every parameter (the
 * embeddings too, since EWC trains them).
 *
 * <p>The penalty's gradient is added once per optimizer step, after the micro-batches' gradients are
 * accumulated and before clipping, so clipping sees the total gradient.
 */
public final class ElasticWeightConsolidation implements ContinualMethod {
    static final String LAMBDA = "ewc.lambda";
    static final double DEFAULT_LAMBDA = 400;
    private static final String STATE_FILE = "ewc.state";

    private final double lambda;
    private float[] fisher; // (P) sum of the finished tasks' diagonal Fisher; null before the first task ends
    private float[] anchor; // (P) theta*: the weights after the last finished task

    public ElasticWeightConsolidation(MethodOptions options) {
        options.checkKnown("ewc.", LAMBDA);
        this.lambda = options.number(LAMBDA, DEFAULT_LAMBDA);
        if (!(lambda >= 0) || Double.isInfinite(lambda)) {
            throw new IllegalArgumentException("--method-setting " + LAMBDA + "=" + lambda + ": expected a finite number >= 0");
        }
    }

    @Override public String name() { return "ewc"; }

    @Override
    public String describe() {
        return "all parameters, plus the penalty lambda/2 * sum F (theta - theta*)^2 with F the summed diagonal Fisher of the finished tasks"
                + " (lambda " + fmt(lambda) + "); state 2 P floats";
    }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        Trainable all = Trainable.ofModel(ctx.model(), null);
        return new TrainPlan(all, fisher == null ? TrainingHooks.NONE : new Penalty(), null, null);
    }

    /** Adds this task's Fisher at the trained weights to F and makes these weights the new anchor. */
    @Override
    public void afterTask(TaskContext ctx) {
        LlamaModel model = ctx.model();
        float[] taskFisher = diagonalFisher(model, ctx.importanceBatches());
        if (fisher == null) fisher = taskFisher;
        else for (int j = 0; j < fisher.length; j++) fisher[j] += taskFisher[j];
        anchor = model.parameters().toArray();
    }

    @Override
    public void saveState(Path dir) throws IOException {
        if (fisher == null) return;
        Map<String, float[]> state = new LinkedHashMap<>();
        state.put("fisher", fisher);
        state.put("anchor", anchor);
        FloatArrayFile.write(dir.resolve(STATE_FILE), state);
    }

    @Override
    public void loadState(Path dir, TaskContext next) throws IOException {
        Path file = dir.resolve(STATE_FILE);
        Map<String, float[]> state = FloatArrayFile.read(file);
        long p = next.model().layout().size();
        float[] f = state.get("fisher"), a = state.get("anchor");
        if (f == null || a == null || f.length != p || a.length != p) {
            throw new IOException(file + ": expected arrays 'fisher' and 'anchor' of " + p + " floats each (the model's parameter count)");
        }
        fisher = f;
        anchor = a;
    }

    /**
     * The diagonal empirical Fisher of some batches at the model's weights: mean over batches of the squared
     * gradient of each batch's mean answer loss. (P)
     */
    static float[] diagonalFisher(LlamaModel model, List<TokenBatch> batches) {
        if (batches.isEmpty()) throw new IllegalArgumentException("EWC's Fisher needs at least one batch of the task's data");
        Tensor grads = model.enableGradients();
        model.setTrainableIndices(null);
        float[] sumSq = new float[grads.size()];
        for (TokenBatch b : batches) {
            grads.zero();
            model.loss(b.tokens(), b.targets(), b.batch(), b.seq()).backward();
            float[] g = grads.toArray();
            for (int j = 0; j < g.length; j++) sumSq[j] += g[j] * g[j];
        }
        float inv = 1f / batches.size();
        for (int j = 0; j < sumSq.length; j++) sumSq[j] *= inv;
        grads.zero();
        return sumSq;
    }

    /** grads += lambda * F * (theta - theta*); returns the penalty (lambda / 2) sum F (theta - theta*)^2 for the logged loss. */
    static double addPenaltyGradient(double lambda, float[] fisher, float[] anchor, Tensor params, Tensor grads) {
        float[] theta = params.toArray(), g = grads.toArray();
        double penalty = 0;
        for (int j = 0; j < g.length; j++) {
            double d = (double) theta[j] - anchor[j];
            double fd = fisher[j] * d;
            g[j] += (float) (lambda * fd);
            penalty += fd * d;
        }
        grads.copyFrom(g);
        return 0.5 * lambda * penalty;
    }

    float[] fisher() { return fisher; }
    float[] anchor() { return anchor; }

    private final class Penalty implements TrainingHooks {
        @Override
        public double beforeStep(LlamaModel model, Tensor grads, long step) {
            return addPenaltyGradient(lambda, fisher, anchor, model.parameters(), grads);
        }
    }

    static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
