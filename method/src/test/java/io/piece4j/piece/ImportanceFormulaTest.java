package io.piece4j.piece;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.ops.Reduce;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * PIECE's accumulators and scores on a model whose gradients are known by hand: for the linear model
 * L_m(w) = sum_j w_j * x_mj the gradient of batch m is exactly x_m, so G = sum_m x_m, H = sum_m x_m^2,
 * PIECE-F = H and PIECE-S = |G| / sqrt(H + 1), each checked to the last bit of the float32 formula.
 */
class ImportanceFormulaTest {
    private final Backend be = new RefBackend();

    @Test
    void gAndHAndBothScoresMatchTheFormulaBitForBit() {
        float[][] x = {
                {0.5f, -2f, 3f, 0f, 1e-3f, -7.25f},
                {1.5f, 2f, -3f, 0f, 2e-3f, 0.125f},
                {-0.25f, 4f, 1f, 0f, -5e-3f, 3.5f},
        };
        int p = x[0].length;
        Tensor w = Tensor.of(be, new float[] {1, 2, 3, 4, 5, 6}, p).requireGrad();
        ImportanceAccumulator acc = new ImportanceAccumulator(be, p);
        for (float[] xm : x) {
            w.setGrad(null);
            Reduce.sumAll(Elementwise.mul(w, Tensor.of(be, xm, p))).backward();
            acc.add(w.grad());
        }
        float[] g = acc.g().toArray(), h = acc.h().toArray();
        for (int j = 0; j < p; j++) {
            float wantG = 0, wantH = 0;
            for (float[] xm : x) { wantG += xm[j]; wantH += xm[j] * xm[j]; } // float32, batch order, as specified
            assertEquals(Float.floatToRawIntBits(wantG), Float.floatToRawIntBits(g[j]), "G[" + j + "]: " + g[j] + " vs " + wantG);
            assertEquals(Float.floatToRawIntBits(wantH), Float.floatToRawIntBits(h[j]), "H[" + j + "]: " + h[j] + " vs " + wantH);
            float pieceF = wantH;
            float pieceS = Math.abs(wantG) / (float) Math.sqrt(wantH + 1f);
            assertEquals(Float.floatToRawIntBits(pieceF), Float.floatToRawIntBits(Estimator.PIECE_F.score(g[j], h[j])), "PIECE-F[" + j + "]");
            assertEquals(Float.floatToRawIntBits(pieceS), Float.floatToRawIntBits(Estimator.PIECE_S.score(g[j], h[j])), "PIECE-S[" + j + "]");
        }
        assertEquals(3, acc.batches());
        // the hand-checkable numbers themselves: coordinate 1 has G = 4, H = 24, so PIECE-S = 4 / 5
        assertEquals(4f, g[1]);
        assertEquals(24f, h[1]);
        assertEquals(0.8f, Estimator.PIECE_S.score(g[1], h[1]));
    }

    @Test
    void nanScoresCountAsZero() {
        assertEquals(0f, Estimator.PIECE_F.score(1f, Float.NaN));
        assertEquals(0f, Estimator.PIECE_S.score(Float.NaN, 1f));
    }
}
