package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.Suite;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LwF: the distillation loss on hand-made logits, its gradient, and the frozen copy it distils from. */
class LearningWithoutForgettingTest {
    private static final RefBackend REF = new RefBackend();

    @Test
    void lossEqualsTheHandComputedValueOnSmallLogits() {
        // Two rows of a 2-token vocabulary; row 1 is a prompt position (target -1) and must not count.
        // Row 0: new logits (0, 0) -> q = (1/2, 1/2); old logits (0, 2 ln 3) at T = 2 -> p = (1/4, 3/4).
        //   KL(p || q) = 1/4 ln(1/2) + 3/4 ln(3/2) = 0.13081203;  CE with target 1 = ln 2 = 0.69314718
        //   loss = 0.5 * 0.69314718 + 0.5 * 2^2 * 0.13081203 = 0.60819765
        Tensor logits = Tensor.of(REF, new float[] {0, 0, 5, -5}, 2, 2).requireGrad();
        Tensor old = Tensor.of(REF, new float[] {0, (float) (2 * Math.log(3)), -7, 7}, 2, 2);
        Tensor loss = LearningWithoutForgetting.loss(logits, old, new int[] {1, -1}, 2f, 0.5f);
        assertEquals(0.60819765, loss.item(), 1e-6, "LwF loss on the hand-made logits");
        assertEquals(0.13081203, DistillationLoss.meanKl(logits, old, new int[] {1, -1}, 2f).item(), 1e-7, "KL term alone");
        // mix 1 is the plain cross-entropy; mix 0 the pure distillation term T^2 KL
        assertEquals(0.69314718, LearningWithoutForgetting.loss(logits, old, new int[] {1, -1}, 2f, 1f).item(), 1e-6);
        assertEquals(4 * 0.13081203, LearningWithoutForgetting.loss(logits, old, new int[] {1, -1}, 2f, 0f).item(), 1e-6);
    }

    @Test
    void gradientMatchesFiniteDifferences() {
        int rows = 3, vocab = 5;
        Rng r = new Rng(3);
        float[] x = new float[rows * vocab], o = new float[rows * vocab];
        for (int i = 0; i < x.length; i++) { x[i] = (float) r.nextGaussian(); o[i] = (float) r.nextGaussian() * 2; }
        int[] targets = {2, -1, 0};
        Tensor logits = Tensor.of(REF, x, rows, vocab).requireGrad();
        Tensor old = Tensor.of(REF, o, rows, vocab);
        LearningWithoutForgetting.loss(logits, old, targets, 2f, 0.3f).backward();
        float[] grad = logits.grad().toArray();
        double h = 1e-2;
        for (int i = 0; i < x.length; i++) {
            double[] v = new double[2];
            for (int s = 0; s < 2; s++) {
                float[] xs = x.clone();
                xs[i] += (float) (s == 0 ? h : -h);
                try (Autograd.Scope ignored = Autograd.noGrad()) {
                    v[s] = LearningWithoutForgetting.loss(Tensor.of(REF, xs, rows, vocab), old, targets, 2f, 0.3f).item();
                }
            }
            double fd = (v[0] - v[1]) / (2 * h);
            if (i / vocab == 1) assertEquals(0.0, grad[i], 0.0, "an unscored row gets no gradient");
            else assertEquals(fd, grad[i], 2e-3 * Math.abs(fd) + 2e-4, "d loss / d logit " + i);
        }
    }

    private static final Suite SUITE = TinyTasks.suite(
            TinyTasks.task("upper", 8, i -> new String[] {"up " + (char) ('a' + i) + "=", Character.toString((char) ('A' + i))}),
            TinyTasks.task("count", 8, i -> new String[] {"n " + "x".repeat(i + 1) + "=", Integer.toString(i + 1)}));

    /** KL(softmax(old / T) || softmax(new / T)) averaged over rows with a target, computed here in double from the two models' logits. */
    private static double independentKl(LlamaModel now, LlamaModel before, TokenBatch b, double t) {
        float[] a, c;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            a = now.forward(b.tokens(), b.batch(), b.seq()).toArray();
            c = before.forward(b.tokens(), b.batch(), b.seq()).toArray();
        }
        int vocab = now.config().vocabSize();
        double sum = 0;
        int n = 0;
        for (int row = 0; row < b.targets().length; row++) {
            if (b.targets()[row] < 0) continue;
            double zq = 0, zp = 0;
            for (int v = 0; v < vocab; v++) { zq += Math.exp(a[row * vocab + v] / t); zp += Math.exp(c[row * vocab + v] / t); }
            for (int v = 0; v < vocab; v++) {
                double p = Math.exp(c[row * vocab + v] / t) / zp, q = Math.exp(a[row * vocab + v] / t) / zq;
                sum += p * Math.log(p / q);
            }
            n++;
        }
        return sum / n;
    }

    @Test
    void theFrozenCopyIsTheModelBeforeTheTaskAndStaysFixedWhileTheModelTrains() {
        LlamaModel m = TinyTasks.model(7);
        float[] before = m.parameters().toArray();
        LearningWithoutForgetting lwf = new LearningWithoutForgetting(TinyTasks.options());
        TaskContext ctx = TinyTasks.context(m, SUITE, 1, TinyTasks.settings(4), 1, false);
        TrainPlan plan = lwf.prepare(ctx);
        TokenBatch b = ctx.importanceBatches().getFirst();
        double ce;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            ce = m.loss(b.tokens(), b.targets(), b.batch(), b.seq()).item();
            // before any step the copy equals the model: KL = 0 and the loss is mix * CE
            assertEquals(0.5 * ce, plan.hooks().loss(m, b).item(), 1e-6, "LwF loss at the start of the task");
        }
        new Trainer(m, plan.trainable(), ctx.settings().training(3e-2f, 1), ctx.shuffledEpochs(ctx.train()), "count", null)
                .withHooks(plan.hooks()).run(false);
        LlamaModel teacher = ((LearningWithoutForgetting.Distillation) plan.hooks()).teacher();
        assertArrayEquals(before, teacher.parameters().toArray(), "the frozen copy keeps the weights from before the task");
        assertFalse(java.util.Arrays.equals(before, m.parameters().toArray()), "the model itself trained");

        double ceAfter, loss;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            ceAfter = m.loss(b.tokens(), b.targets(), b.batch(), b.seq()).item();
            loss = plan.hooks().loss(m, b).item();
        }
        double kl = independentKl(m, teacher, b, 2);
        assertTrue(kl > 1e-4, "the model moved away from its copy: KL " + kl);
        assertEquals(0.5 * ceAfter + 0.5 * 4 * kl, loss, 1e-5 * loss, "0.5 CE + 0.5 T^2 KL(old || new) on the answer positions");
        lwf.afterTask(ctx);
    }

    @Test
    void badTemperatureOrMixIsRejected() {
        for (String[] bad : new String[][] {{"lwf.temperature", "0"}, {"lwf.temperature", "-2"}, {"lwf.mix", "1.5"}, {"lwf.mix", "-0.1"},
                {"lwf.temp", "2"}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LearningWithoutForgetting(TinyTasks.options(bad[0], bad[1])), bad[0] + "=" + bad[1]);
            assertTrue(e.getMessage().contains(bad[0]), e.getMessage());
        }
    }
}
