package io.piece4j.nn.format;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static io.piece4j.nn.format.FloatAssertions.assertBitsEqual;
import static io.piece4j.nn.format.FloatAssertions.assertClose;

class RopePermutationTest {
    @Test
    void oneHeadOfFourRowsByHand() {
        // half-split rows r0 r1 | r2 r3 pair (r0, r2) and (r1, r3); interleaved keeps pairs adjacent: r0 r2 r1 r3
        float[] halfSplit = {0, 1, 10, 11, 20, 21, 30, 31}; // (4, 2): row i = {10 i, 10 i + 1}
        float[] interleaved = {0, 1, 20, 21, 10, 11, 30, 31};
        assertBitsEqual(interleaved, RopePermutation.halfSplitToInterleaved(halfSplit, 4, 2, 1), "half-split -> interleaved");
        assertBitsEqual(halfSplit, RopePermutation.interleavedToHalfSplit(interleaved, 4, 2, 1), "interleaved -> half-split");
    }

    @Test
    void twoHeadsOfSixRowsByHand() {
        // per head of 6: half-split rows 0 1 2 | 3 4 5 become 0 3 1 4 2 5
        float[] halfSplit = new float[12];
        for (int i = 0; i < 12; i++) halfSplit[i] = i;
        float[] expected = {0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11};
        assertBitsEqual(expected, RopePermutation.halfSplitToInterleaved(halfSplit, 12, 1, 2), "two heads of 6 rows");
    }

    @Test
    void theTwoDirectionsAreExactInverses() {
        SplittableRandom random = new SplittableRandom(7);
        float[] w = new float[24 * 5];
        for (int i = 0; i < w.length; i++) w[i] = (float) random.nextGaussian();
        assertBitsEqual(w, RopePermutation.interleavedToHalfSplit(RopePermutation.halfSplitToInterleaved(w, 24, 5, 3), 24, 5, 3), "there and back");
        assertBitsEqual(w, RopePermutation.halfSplitToInterleaved(RopePermutation.interleavedToHalfSplit(w, 24, 5, 3), 24, 5, 3), "back and there");
    }

    @Test
    void permutedWeightsGiveTheSameRotatedQueriesUnderTheOtherLayout() {
        // the reason for the permutation: rope_halfSplit(W x) and rope_interleaved(P W x) are the same vector up to P
        int heads = 2, hd = 8, cols = 5, pos = 3;
        SplittableRandom random = new SplittableRandom(11);
        float[] w = new float[heads * hd * cols];
        float[] x = new float[cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) random.nextGaussian();
        for (int i = 0; i < cols; i++) x[i] = (float) random.nextGaussian();
        float[] qHalf = rope(matVec(w, x, heads * hd, cols), heads, hd, pos, false);
        float[] qInter = rope(matVec(RopePermutation.halfSplitToInterleaved(w, heads * hd, cols, heads), x, heads * hd, cols),
                heads, hd, pos, true);
        float[] qInterBackToHalf = RopePermutation.interleavedToHalfSplit(qInter, heads * hd, 1, heads);
        assertClose(qHalf, qInterBackToHalf, 1e-5, "rotated queries");
    }

    private static float[] matVec(float[] w, float[] x, int rows, int cols) {
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) s += (double) w[r * cols + c] * x[c];
            y[r] = (float) s;
        }
        return y;
    }

    // rotates pair i of each head by pos * 10000^(-2i/hd); pairs (2i, 2i+1) interleaved or (i, i + hd/2) half-split
    private static float[] rope(float[] q, int heads, int hd, int pos, boolean interleaved) {
        float[] out = q.clone();
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < hd / 2; i++) {
                int a = h * hd + (interleaved ? 2 * i : i), b = h * hd + (interleaved ? 2 * i + 1 : i + hd / 2);
                double angle = pos * Math.pow(10000, -2.0 * i / hd);
                out[a] = (float) (q[a] * Math.cos(angle) - q[b] * Math.sin(angle));
                out[b] = (float) (q[a] * Math.sin(angle) + q[b] * Math.cos(angle));
            }
        }
        return out;
    }
}
