package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.TrainingHooks;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.CrossEntropy;
import io.piece4j.tensor.ops.Elementwise;

/**
 * LwF (Li and Hoiem 2016) for a language model: before each task a frozen copy of the model is kept,
 * and every micro-batch is trained on
 *
 * <pre>
 *   mix * CE(answers) + (1 - mix) * T^2 * KL(old || new)      (T 2, mix 0.5 by default)
 * </pre>
 *
 * where KL is the mean over the answer and EOS positions (the positions the cross-entropy scores) of the
 * divergence of the new model's distribution at temperature T from the frozen copy's. The T^2 keeps the
 * term's gradient on the scale of the cross-entropy's as T changes (Hinton et al. 2015).
 *
 * <p>Cost: the frozen copy is a second model, P more floats (4 bytes each) for the whole task, and every
 * micro-batch runs one more forward pass through it (no backward).
 */
public final class LearningWithoutForgetting implements ContinualMethod {
    static final String TEMPERATURE = "lwf.temperature", MIX = "lwf.mix";
    static final double DEFAULT_TEMPERATURE = 2, DEFAULT_MIX = 0.5;

    private final float temperature, mix;
    private LlamaModel frozen; // the model as it was before the current task; null between tasks

    public LearningWithoutForgetting(MethodOptions options) {
        options.checkKnown("lwf.", TEMPERATURE, MIX);
        double t = options.number(TEMPERATURE, DEFAULT_TEMPERATURE), m = options.number(MIX, DEFAULT_MIX);
        if (!(t > 0) || Double.isInfinite(t)) {
            throw new IllegalArgumentException("--method-setting " + TEMPERATURE + "=" + t + ": expected a finite temperature > 0");
        }
        if (!(m >= 0 && m <= 1)) {
            throw new IllegalArgumentException("--method-setting " + MIX + "=" + m + ": expected a weight of the cross-entropy in [0, 1]");
        }
        this.temperature = (float) t;
        this.mix = (float) m;
    }

    @Override public String name() { return "lwf"; }

    @Override
    public String describe() {
        return "all parameters; loss " + mix + " * CE + " + (1 - mix) + " * T^2 * KL(old || new) at T = " + temperature
                + " on the answer positions, old = a frozen copy of the model before the task"
                + " (costs P more floats and one more forward per micro-batch)";
    }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        LlamaModel model = ctx.model();
        frozen = frozenCopy(model);
        return new TrainPlan(Trainable.ofModel(model, null), new Distillation(frozen, temperature, mix), null, null);
    }

    @Override
    public void afterTask(TaskContext ctx) {
        frozen = null; // P floats freed between tasks
    }

    /** A second model with the same weights and no gradients. */
    static LlamaModel frozenCopy(LlamaModel model) {
        LlamaModel copy = new LlamaModel(model.config(), model.backend());
        copy.parameters().copyFrom(model.parameters());
        return copy;
    }

    /** The loss hook: one forward of each model, then {@link #loss}. */
    record Distillation(LlamaModel teacher, float temperature, float mix) implements TrainingHooks {
        @Override
        public Tensor loss(LlamaModel model, TokenBatch b) {
            Tensor logits = model.forward(b.tokens(), b.batch(), b.seq()); // (B*T, V)
            if (mix == 1f) return CrossEntropy.mean(logits, b.targets());
            Tensor old;                                                     // (B*T, V)
            try (Autograd.Scope ignored = Autograd.noGrad()) {
                old = teacher.forward(b.tokens(), b.batch(), b.seq());
            }
            return LearningWithoutForgetting.loss(logits, old, b.targets(), temperature, mix);
        }
    }

    /**
     * mix * CE(logits, targets) + (1 - mix) * T^2 * mean KL(softmax(old / T) || softmax(logits / T)) over the
     * rows with a target.
     *
     * @param logits (rows, vocab) of the trained model
     * @param old    (rows, vocab) of the frozen copy
     */
    static Tensor loss(Tensor logits, Tensor old, int[] targets, float temperature, float mix) {
        Tensor kl = DistillationLoss.meanKl(logits, old, targets, temperature);
        Tensor soft = Elementwise.scale(kl, (1 - mix) * temperature * temperature);
        if (mix == 0f) return soft;
        return Elementwise.add(Elementwise.scale(CrossEntropy.mean(logits, targets), mix), soft);
    }
}
