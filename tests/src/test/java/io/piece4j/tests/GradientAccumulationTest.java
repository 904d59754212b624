package io.piece4j.tests;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.train.EpochData;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Gradient accumulation over two micro-batches of 2 rows gives the gradient, the loss and the trajectory of one batch of
 * the same 4 rows (every row has the same number of scored positions, so the mean of the two micro-batch means is the
 * mean over the batch). Compared on the gradient handed to the optimizer at every step, since AdamW and clipping
 * would hide a gradient of the wrong scale. The two paths add the same terms in another order, so the parameters drift
 * apart a little. Tolerances, about 5 x the measured: gradients 4e-6 of the largest (measured 6.6e-7 at step 4),
 * parameters after 4 AdamW steps 2e-4 of the largest change (measured 4.4e-5: AdamW divides each gradient by its own
 * size, which magnifies tiny differences where a gradient is close to eps). A wrong scale or a lost micro-batch
 * changes the gradient by tens of percent.
 */
class GradientAccumulationTest {
    private static final int EPOCHS = 2, ROWS = 2, SEQ = 10;

    /** Epoch e: micro-batches of ROWS rows, the same rows in each run. */
    private static List<TokenBatch> microBatches(int epoch) {
        Rng rng = new Rng(500 + epoch);
        List<TokenBatch> list = new ArrayList<>();
        for (int i = 0; i < 4; i++) list.add(TinyModels.batch(rng, ROWS, SEQ, 67, 3));
        return list;
    }

    /** Neighbouring micro-batches joined into batches of 2 * ROWS rows. */
    private static List<TokenBatch> joined(int epoch) {
        List<TokenBatch> small = microBatches(epoch), out = new ArrayList<>();
        for (int i = 0; i < small.size(); i += 2) {
            TokenBatch a = small.get(i), b = small.get(i + 1);
            int[] tokens = new int[2 * ROWS * SEQ], targets = new int[2 * ROWS * SEQ];
            System.arraycopy(a.tokens(), 0, tokens, 0, ROWS * SEQ);
            System.arraycopy(b.tokens(), 0, tokens, ROWS * SEQ, ROWS * SEQ);
            System.arraycopy(a.targets(), 0, targets, 0, ROWS * SEQ);
            System.arraycopy(b.targets(), 0, targets, ROWS * SEQ, ROWS * SEQ);
            out.add(new TokenBatch(tokens, targets, 2 * ROWS, SEQ));
        }
        return out;
    }

    private record Run(List<float[]> stepGradients, List<Double> losses, float[] params) {}

    private static Run train(EpochData data, int batch, int accumulation) {
        LlamaModel m = TinyModels.model(new RefBackend(), 31);
        TrainSettings s = new TrainSettings(EPOCHS, 1e-2f, "constant", 0, batch, accumulation, 1.0, 0.9f, 0.95f, 1e-8f, 0f, 1, 0, false);
        List<float[]> afterBackward = new ArrayList<>();
        Trainer.Result r = new Trainer(m, (io.piece4j.piece.Mask) null, s, data, "accumulation", null).afterBackward(g -> afterBackward.add(g.toArray())).run(false);
        List<float[]> perStep = new ArrayList<>(); // the gradient after the last micro-batch of each step
        for (int i = accumulation - 1; i < afterBackward.size(); i += accumulation) perStep.add(afterBackward.get(i));
        return new Run(perStep, r.losses(), m.parameters().toArray());
    }

    /** |got - want| <= rel x the largest |want - from| (the largest gradient, or the largest parameter change). */
    private static void assertClose(String what, float[] want, float[] got, float[] from, double rel) {
        double scale = 0;
        for (int i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i] - (from == null ? 0 : from[i])));
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs((double) got[i] - want[i]);
            if (!(err <= rel * scale)) {
                fail(what + ": element " + i + " is " + got[i] + " vs " + want[i] + " (error " + err + ", scale " + scale + ")");
            }
        }
    }

    @Test
    void twoMicroBatchesAccumulateToOneBatchOfBoth() {
        Run accumulated = train(GradientAccumulationTest::microBatches, ROWS, 2);
        Run whole = train(GradientAccumulationTest::joined, 2 * ROWS, 1);
        assertEquals(EPOCHS * 2, whole.stepGradients().size(), "optimizer steps of the one-batch run");
        assertEquals(whole.stepGradients().size(), accumulated.stepGradients().size(), "optimizer steps: 2 micro-batches make one step");
        for (int step = 0; step < whole.stepGradients().size(); step++) {
            assertClose("gradient of step " + (step + 1), whole.stepGradients().get(step), accumulated.stepGradients().get(step), null, 4e-6);
            assertEquals(whole.losses().get(step), accumulated.losses().get(step), 1e-6 * whole.losses().get(step), "loss of step " + (step + 1));
        }
        float[] start = TinyModels.model(new RefBackend(), 31).parameters().toArray();
        assertClose("parameters after " + whole.stepGradients().size() + " steps", whole.params(), accumulated.params(), start, 2e-4);
    }
}
