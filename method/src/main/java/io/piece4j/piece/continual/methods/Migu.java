package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LinearHook;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.Mask;
import io.piece4j.piece.ModelFingerprint;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.TrainingHooks;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * MIGU (magnitude-based gradient updating): in every optimizer step, each linear layer keeps the gradient
 * of only the rows of its weight whose output dimensions had the largest L1-normalised magnitude on the
 * step's batches ({@link MiguSelection}); the other rows' gradient is zeroed before clipping and AdamW.
 * The outputs are read through the model's linear hook during the training forward and summed over the
 * micro-batches of the step, as MIGU's code does.
 *
 * <p>Choices (README's method table): every block weight and an untied output head are linear layers;
 * the input embeddings (and a head tied to them) and the RMSNorm gains are not trained; MIGU applies from
 * the first task on; a row dropped in a step still moves by AdamW's momentum from earlier steps, as in
 * MIGU's code, which masks the gradient handed to torch's AdamW.
 *
 * <p>Settings: migu.ratio, the fraction of output dimensions kept per layer (0.001, the PIECE paper's
 * top-0.1 %; at least one row per layer).
 */
public final class Migu implements ContinualMethod {
    private final double ratio;

    public Migu(double ratio) {
        if (!(ratio > 0 && ratio <= 1)) throw new IllegalArgumentException("--method-setting migu.ratio=" + ratio + ": expected a fraction in (0, 1]");
        this.ratio = ratio;
    }

    @Override public String name() { return "migu"; }

    @Override
    public String describe() {
        return "per linear layer and step, only the weight rows of the top " + ratio * 100
                + " % output dimensions by L1-normalised |output| (MIGU); norms and embeddings frozen";
    }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        return plan(ctx.model(), ctx.task().name());
    }

    /** Sets the model up for MIGU (dense gradients, embeddings frozen, the gate as its linear hook) and says what trains. */
    TrainPlan plan(LlamaModel model, String task) {
        model.setTrainableIndices(null);          // dense weight gradients: the kept rows are known only after each step's forward
        model.freezeEmbeddings();
        Gate gate = new Gate(model, ratio);
        model.setLinearHook(gate);
        return new TrainPlan(Trainable.ofModelDense(model, gate.linearWeights(task)), gate, null, null);
    }

    @Override
    public void afterTask(TaskContext ctx) {
        ctx.model().setLinearHook(null);
    }

    /** Reads the linear layers' outputs in the training forward and, before each step, zeroes the gradient of the rows not kept. */
    static final class Gate implements LinearHook, TrainingHooks {
        private final LlamaModel model;
        private final double ratio;
        private final Map<String, ParameterLayout.Entry> layers = new LinkedHashMap<>(); // trained linear weights
        private final Map<String, double[]> sums = new LinkedHashMap<>();                // weight -> (out) sum of |y| this step

        Gate(LlamaModel model, double ratio) {
            this.model = model;
            this.ratio = ratio;
            for (ParameterLayout.Entry e : model.layout().entries()) {
                if (e.shape().length == 2 && !e.name().equals("tok_embeddings")) layers.put(e.name(), e);
            }
        }

        /** Every index of the trained linear weights: what the optimizer may update. */
        Mask linearWeights(String task) {
            long n = 0;
            for (ParameterLayout.Entry e : layers.values()) n += e.numel();
            int[] idx = new int[Math.toIntExact(n)];
            int k = 0;
            for (ParameterLayout.Entry e : layers.values()) for (long i = e.offset(); i < e.offset() + e.numel(); i++) idx[k++] = (int) i;
            long p = model.layout().size();
            return new Mask(idx, p, p, (double) n / p, "migu", task, ModelFingerprint.of(model.parameters()), 0, 0);
        }

        @Override
        public Tensor apply(Tensor weight, Tensor x, Tensor y) {
            ParameterLayout.Entry e = layers.get(weight.name());
            if (e == null || !Autograd.isRecording()) return y;      // evaluation forwards do not count
            int out = e.rows();
            MiguSelection.accumulateAbs(y.toArray(), (int) (y.numel() / out), out, sums.computeIfAbsent(e.name(), n -> new double[out]));
            return y;
        }

        @Override
        public double beforeStep(LlamaModel m, Tensor grads, long step) {
            for (ParameterLayout.Entry e : layers.values()) {
                double[] s = sums.get(e.name());
                int out = e.rows(), in = e.cols();
                boolean[] kept = new boolean[out];
                if (s != null) for (int r : MiguSelection.topRows(MiguSelection.normalised(s), MiguSelection.rowsKept(out, ratio))) kept[r] = true;
                for (int r = 0; r < out; ) {
                    if (kept[r]) { r++; continue; }
                    int end = r;
                    while (end < out && !kept[end]) end++;
                    Tensor.view(grads.storage(), grads.offset() + e.offset() + (long) r * in, (end - r) * in).zero(); // rows [r, end) of dW
                    r = end;
                }
            }
            sums.clear();
            return 0;
        }
    }
}
