package io.piece4j.piece.continual.methods;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MIGU's selection of output dimensions, and what one training step under it changes. */
class MiguTest {
    @Test
    void selectionOnAHandMadeActivationMatrix() {
        float[] y = { 1, -2,  0, 0.5f,
                     -1,  0,  3, 0.5f,
                      2,  1, -1, 0};       // (3 tokens, 4 outputs)
        double[] sums = new double[4];
        MiguSelection.accumulateAbs(y, 3, 4, sums);
        assertArrayEquals(new double[] {4, 3, 4, 1}, sums, 0.0, "sum over tokens of |y|");
        assertArrayEquals(new double[] {4 / 12.0, 3 / 12.0, 4 / 12.0, 1 / 12.0}, MiguSelection.normalised(sums), 1e-15, "L1-normalised");
        double[] n = MiguSelection.normalised(sums);
        assertArrayEquals(new int[] {0, 2}, MiguSelection.topRows(n, MiguSelection.rowsKept(4, 0.5)), "top half: the two of magnitude 4");
        assertArrayEquals(new int[] {0}, MiguSelection.topRows(n, MiguSelection.rowsKept(4, 0.25)), "a tie between 0 and 2 goes to the lower index");
        assertArrayEquals(new int[] {0, 1, 2}, MiguSelection.topRows(n, MiguSelection.rowsKept(4, 0.6)), "ceil(0.6 * 4) = 3 rows");
        assertEquals(1, MiguSelection.rowsKept(288, 0.001), "at least one row per layer");
        assertEquals(3, MiguSelection.rowsKept(10, 0.3), "0.3 * 10 keeps 3, not 4");
        assertEquals(87, MiguSelection.rowsKept(288, 0.3), "as MIGU's quantile threshold at 0.7 keeps of 288 distinct values");
    }

    @Test
    void aBatchAccumulatesOverMicroBatchesLikeOneMatrix() {
        double[] together = new double[2], apart = new double[2];
        float[] a = {1, -1, 2, 0}, b = {-3, 1};
        MiguSelection.accumulateAbs(new float[] {1, -1, 2, 0, -3, 1}, 3, 2, together);
        MiguSelection.accumulateAbs(a, 2, 2, apart);
        MiguSelection.accumulateAbs(b, 1, 2, apart);
        assertArrayEquals(together, apart, 0.0);
    }

    @Test
    void ratioOutsideZeroToOneIsRefused() {
        for (double r : new double[] {0, -0.1, 1.5, Double.NaN}) {
            String m = assertThrows(IllegalArgumentException.class, () -> new Migu(r)).getMessage();
            assertTrue(m.contains("migu.ratio") && m.contains("(0, 1]"), m);
        }
    }

    @Test
    void oneStepChangesOnlyTheWeightRowsOfEachLayersLargestOutputs() {
        // untied head: the output head is a linear layer too; 2 layers, dim 16, hidden 24
        LlamaConfig c = new LlamaConfig(16, 2, 2, 1, 8, 24, 40, 16, 1e-5f, 10000f, false, LlamaConfig.RopeLayout.INTERLEAVED, null);
        LlamaModel m = new LlamaModel(c, new RefBackend());
        m.initRandom(2, 0.1f);
        Rng rng = new Rng(3);
        int batch = 2, seq = 6;
        int[] tokens = new int[batch * seq], targets = new int[batch * seq];
        for (int i = 0; i < tokens.length; i++) { tokens[i] = rng.nextInt(40); targets[i] = i % seq < 2 ? -1 : rng.nextInt(40); }
        double ratio = 0.25;

        // the expected rows, from the outputs of every linear layer on this batch, recorded with a hook of the test's own
        Map<String, float[]> outputs = new HashMap<>();
        m.setLinearHook((w, x, y) -> { outputs.put(w.name(), y.toArray()); return y; });
        try (Autograd.Scope ignored = Autograd.noGrad()) { m.forward(tokens, batch, seq); }
        m.setLinearHook(null);
        Map<String, TreeSet<Integer>> expected = new HashMap<>();
        for (ParameterLayout.Entry e : m.layout().entries()) {
            if (e.shape().length != 2 || e.name().equals("tok_embeddings")) continue;
            float[] y = outputs.get(e.name());
            int out = e.rows(), k = (int) Math.ceil(ratio * out);
            double[] mag = new double[out];
            for (int i = 0; i < y.length; i++) mag[i % out] += Math.abs(y[i]);
            Integer[] order = new Integer[out];
            for (int i = 0; i < out; i++) order[i] = i;
            java.util.Arrays.sort(order, (a, b) -> Double.compare(mag[b], mag[a]));
            expected.put(e.name(), new TreeSet<>(List.of(order).subList(0, k)));
        }
        assertEquals(2 * 7 + 1, expected.size(), "seven linear layers per block and the head");

        float[] before = m.parameters().toArray();
        TrainPlan plan = new Migu(ratio).plan(m, "t");
        TrainSettings s = new TrainSettings(1, 1e-2f, "constant", 0, batch, 1, 1.0, 0.9f, 0.95f, 1e-8f, 0f, 1, 0, false);
        new Trainer(m, plan.trainable(), s, epoch -> List.of(new TokenBatch(tokens, targets, batch, seq)), "t", null).withHooks(plan.hooks()).run(false);
        float[] after = m.parameters().toArray();

        for (ParameterLayout.Entry e : m.layout().entries()) {
            TreeSet<Integer> rows = expected.get(e.name());
            TreeSet<Integer> changedRows = new TreeSet<>();
            for (long i = e.offset(); i < e.offset() + e.numel(); i++) {
                if (Float.floatToRawIntBits(before[(int) i]) != Float.floatToRawIntBits(after[(int) i])) changedRows.add((int) ((i - e.offset()) / e.cols()));
            }
            if (rows == null) assertTrue(changedRows.isEmpty(), e.name() + " is not a trained linear layer but changed in rows " + changedRows);
            else assertEquals(rows, changedRows, e.name() + ": the rows that changed are the top " + ratio + " output dimensions");
        }
    }
}
