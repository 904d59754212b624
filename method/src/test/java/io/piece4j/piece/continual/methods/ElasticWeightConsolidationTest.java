package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.FloatArrayFile;
import io.piece4j.piece.continual.Suite;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** EWC: the penalty's gradient, the Fisher it is built from, and its state of two P-long arrays. */
class ElasticWeightConsolidationTest {
    private static final Suite SUITE = TinyTasks.suite(
            TinyTasks.task("upper", 6, i -> new String[] {"up " + (char) ('a' + i) + "=", Character.toString((char) ('A' + i))}),
            TinyTasks.task("count", 6, i -> new String[] {"n " + "x".repeat(i + 1) + "=", Integer.toString(i + 1)}));

    private static TaskContext ctx(LlamaModel m, int t) {
        return TinyTasks.context(m, SUITE, t, TinyTasks.settings(2), 1, false);
    }

    /** Moves every weight by a seeded N(0, std^2) step, as training would. */
    private static void perturb(LlamaModel m, long seed, float std) {
        float[] p = m.parameters().toArray();
        Rng r = new Rng(seed);
        for (int j = 0; j < p.length; j++) p[j] += (float) (r.nextGaussian() * std);
        m.parameters().copyFrom(p);
    }

    @Test
    void penaltyGradientIsLambdaTimesFisherTimesDistanceElementWise() {
        LlamaModel m = TinyTasks.model(3);
        ElasticWeightConsolidation ewc = new ElasticWeightConsolidation(TinyTasks.options("ewc.lambda", "400"));
        ewc.afterTask(ctx(m, 0));
        float[] fisher = ewc.fisher().clone(), anchor = ewc.anchor().clone();
        perturb(m, 9, 0.01f);
        TrainPlan plan = ewc.prepare(ctx(m, 1));
        Tensor grads = m.enableGradients();
        float[] taskGrad = new float[grads.size()];
        Rng r = new Rng(4);
        for (int j = 0; j < taskGrad.length; j++) taskGrad[j] = (float) r.nextGaussian() * 1e-3f;
        grads.copyFrom(taskGrad);
        double penalty = plan.hooks().beforeStep(m, grads, 0);

        float[] theta = m.parameters().toArray(), after = grads.toArray();
        double expectedPenalty = 0;
        int nonzero = 0;
        for (int j = 0; j < theta.length; j++) {
            double d = (double) theta[j] - anchor[j];
            double want = 400.0 * fisher[j] * d;
            double got = (double) after[j] - taskGrad[j];
            assertEquals(want, got, 1e-6 * Math.abs(want) + 2 * Math.ulp(after[j]),
                    "penalty gradient at " + m.layout().locate(j) + ": lambda F (theta - theta*) = " + want + ", added " + got);
            if (want != 0) nonzero++;
            expectedPenalty += 0.5 * 400 * fisher[j] * d * d;
        }
        assertTrue(nonzero > theta.length / 2, "the check is not vacuous: " + nonzero + " of " + theta.length + " coordinates get a penalty gradient");
        assertEquals(expectedPenalty, penalty, 1e-9 * expectedPenalty, "penalty value lambda/2 sum F (theta - theta*)^2");
    }

    @Test
    void penaltyGradientMatchesFiniteDifferencesOfThePenalty() {
        LlamaModel m = TinyTasks.model(3);
        ElasticWeightConsolidation ewc = new ElasticWeightConsolidation(TinyTasks.options());
        ewc.afterTask(ctx(m, 0));
        perturb(m, 10, 0.05f);
        float[] theta = m.parameters().toArray();
        float[] fisher = ewc.fisher(), anchor = ewc.anchor();
        Tensor zero = Tensor.zeros(m.backend(), theta.length);
        Tensor grads = Tensor.zeros(m.backend(), theta.length);
        ElasticWeightConsolidation.addPenaltyGradient(400, fisher, anchor, m.parameters(), grads);
        float[] g = grads.toArray();
        int checked = 0;
        for (int j = 0; j < theta.length && checked < 40; j += 97) {
            if (fisher[j] == 0) continue;
            double h = 1e-3;
            double[] values = new double[2];
            for (int s = 0; s < 2; s++) {
                float[] t = theta.clone();
                t[j] = (float) (theta[j] + (s == 0 ? h : -h));
                values[s] = ElasticWeightConsolidation.addPenaltyGradient(400, fisher, anchor,
                        Tensor.of(m.backend(), t, t.length), zero.copy());
            }
            double fd = (values[0] - values[1]) / (2 * h);
            assertEquals(fd, g[j], 1e-3 * Math.abs(fd) + 1e-9, "d penalty / d theta at " + m.layout().locate(j));
            checked++;
        }
        assertTrue(checked >= 20, "checked " + checked + " coordinates");
    }

    @Test
    void fisherOfOneBatchIsTheSquaredGradientOfItsMeanLoss() {
        // the gradient by central finite differences of the batch loss (ref backend, double sums)
        LlamaModel m = TinyTasks.model(5);
        List<TokenBatch> one = ctx(m, 0).importanceBatches().subList(0, 1);
        float[] fisher = ElasticWeightConsolidation.diagonalFisher(m, one);
        TokenBatch b = one.getFirst();
        float[] theta = m.parameters().toArray();
        int checked = 0;
        for (String name : new String[] {"layers.0.attn.wq", "layers.1.mlp.w_down", "norm", "tok_embeddings"}) {
            var e = m.layout().get(name);
            int j = (int) e.offset(); // the coordinate of the tensor with the largest gradient, far above rounding
            for (long i = e.offset(); i < e.offset() + e.numel(); i++) if (fisher[(int) i] > fisher[j]) j = (int) i;
            double h = 1e-2;
            double[] loss = new double[2];
            for (int s = 0; s < 2; s++) {
                float[] t = theta.clone();
                t[j] += (float) (s == 0 ? h : -h);
                m.parameters().copyFrom(t);
                try (Autograd.Scope ignored = Autograd.noGrad()) {
                    loss[s] = m.loss(b.tokens(), b.targets(), b.batch(), b.seq()).item();
                }
            }
            m.parameters().copyFrom(theta);
            double g = (loss[0] - loss[1]) / (2 * h);
            assertTrue(Math.abs(g) > 1e-5, name + ": the coordinate has a gradient (" + g + ")");
            assertEquals(g * g, fisher[j], 0.05 * g * g, name + ": Fisher = squared gradient of the batch's mean loss");
            checked++;
        }
        assertEquals(4, checked);
    }

    @Test
    void fisherAccumulatesOverTasksAndTheStateIsTwoArraysOfP() throws Exception {
        LlamaModel m = TinyTasks.model(3);
        ElasticWeightConsolidation ewc = new ElasticWeightConsolidation(TinyTasks.options());
        float[] f0 = ElasticWeightConsolidation.diagonalFisher(m, ctx(m, 0).importanceBatches());
        ewc.afterTask(ctx(m, 0));
        perturb(m, 11, 0.01f);
        float[] f1 = ElasticWeightConsolidation.diagonalFisher(m, ctx(m, 1).importanceBatches());
        ewc.afterTask(ctx(m, 1));
        float[] sum = ewc.fisher();
        for (int j = 0; j < sum.length; j++) assertEquals(f0[j] + f1[j], sum[j], 0f, "F = F_task1 + F_task2 at " + j);
        assertArrayEquals(m.parameters().toArray(), ewc.anchor(), "theta* = the weights after the last task");

        Path dir = Files.createTempDirectory("ewc");
        ewc.saveState(dir);
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "one state file");
        }
        Map<String, float[]> state = FloatArrayFile.read(dir.resolve("ewc.state"));
        long p = m.layout().size();
        assertEquals(List.of("fisher", "anchor"), List.copyOf(state.keySet()), "two arrays, whatever the number of tasks");
        for (float[] a : state.values()) assertEquals(p, a.length, "each array holds P floats");

        ElasticWeightConsolidation resumed = new ElasticWeightConsolidation(TinyTasks.options());
        resumed.loadState(dir, ctx(m, 1));
        assertArrayEquals(sum, resumed.fisher());
        assertArrayEquals(ewc.anchor(), resumed.anchor());
    }

    @Test
    void firstTaskTrainsWithoutPenaltyAndLaterTasksWithIt() {
        LlamaModel m = TinyTasks.model(3);
        ElasticWeightConsolidation ewc = new ElasticWeightConsolidation(TinyTasks.options());
        assertSame(io.piece4j.piece.train.TrainingHooks.NONE, ewc.prepare(ctx(m, 0)).hooks(), "nothing to protect before the first task ends");
        assertEquals(m.layout().size(), ewc.prepare(ctx(m, 0)).trainable().trainedCount(), "EWC trains every parameter");
        ewc.afterTask(ctx(m, 0));
        assertTrue(ewc.prepare(ctx(m, 1)).hooks() instanceof io.piece4j.piece.train.TrainingHooks h && h != io.piece4j.piece.train.TrainingHooks.NONE);
    }

    @Test
    void negativeOrNonNumericLambdaAndUnknownSettingsAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ElasticWeightConsolidation(TinyTasks.options("ewc.lambda", "-1")));
        assertTrue(e.getMessage().contains("ewc.lambda=-1.0") && e.getMessage().contains(">= 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ElasticWeightConsolidation(TinyTasks.options("ewc.lambda", "many")));
        assertTrue(e.getMessage().contains("ewc.lambda=many") && e.getMessage().contains("expected a number"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ElasticWeightConsolidation(TinyTasks.options("ewc.lamda", "4")));
        assertTrue(e.getMessage().contains("ewc.lamda") && e.getMessage().contains("ewc.lambda"), e.getMessage());
        new ElasticWeightConsolidation(TinyTasks.options("ewc.lambda", "0", "lwf.mix", "0.3")); // 0 is plain SeqFT; other methods' keys pass
    }
}
