package io.piece4j.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** The reproducible exp and lane sum that every kernel of the backend builds on. */
class LaneMathTest {
    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();

    /** Points across the whole range where exp is a normal float, plus random ones. */
    private static float[] expArguments() {
        int grid = 200_000;
        float[] x = new float[grid + 10_000];
        for (int i = 0; i < grid; i++) x[i] = (float) (-87.0 + 175.5 * i / (grid - 1));
        Random rng = new Random(1);
        for (int i = grid; i < x.length; i++) x[i] = (float) (rng.nextGaussian() * 5);
        return x;
    }

    @Test
    void expIsWithinTwoUlpsOfCorrectlyRoundedExp() {
        double worst = 0;
        float worstX = 0;
        for (float x : expArguments()) {
            float exact = (float) Math.exp(x);
            double ulps = Math.abs(LaneMath.exp(x) - exact) / Math.ulp(exact);
            if (ulps > worst) { worst = ulps; worstX = x; }
        }
        if (worst > 2) fail("exp(" + worstX + ") is " + LaneMath.exp(worstX) + ", off by " + worst + " ulp from " + (float) Math.exp(worstX));
    }

    @Test
    void expVectorLanesEqualTheScalarFormBitForBit() {
        float[] x = expArguments();
        float[] lanes = new float[L];
        for (int i = 0; i + L <= x.length; i += L) {
            LaneMath.exp(FloatVector.fromArray(S, x, i)).intoArray(lanes, 0);
            for (int l = 0; l < L; l++) {
                float scalar = LaneMath.exp(x[i + l]);
                if (Float.floatToIntBits(lanes[l]) != Float.floatToIntBits(scalar)) {
                    fail("exp(" + x[i + l] + "): vector lane " + lanes[l] + ", scalar " + scalar);
                }
            }
        }
    }

    @Test
    void expUnderflowsToZeroOverflowsToInfinityAndKeepsNaN() {
        assertEquals(0f, LaneMath.exp(Float.NEGATIVE_INFINITY), "exp(-inf)");
        assertEquals(0f, LaneMath.exp(-110f), "exp(-110)");
        assertEquals(Float.POSITIVE_INFINITY, LaneMath.exp(Float.POSITIVE_INFINITY), "exp(+inf)");
        assertEquals(Float.POSITIVE_INFINITY, LaneMath.exp(89f), "exp(89)");
        assertEquals(Float.NaN, LaneMath.exp(Float.NaN), "exp(NaN)");
        assertEquals(1f, LaneMath.exp(0f), "exp(0)");
        // subnormal results: rounded once to the float grid, so within one subnormal step
        for (float x : new float[]{-88f, -95f, -100f, -103f}) {
            assertEquals((float) Math.exp(x), LaneMath.exp(x), Float.MIN_VALUE, "exp(" + x + ")");
        }
        // the top of the range, where 2^n needs two factors
        for (float x : new float[]{88f, 88.5f, 88.72f}) {
            assertEquals((float) Math.exp(x), LaneMath.exp(x), 2 * Math.ulp((float) Math.exp(x)), "exp(" + x + ")");
        }
    }

    @Test
    void sumAddsTheLanesInTheDocumentedTree() {
        Random rng = new Random(2);
        for (int trial = 0; trial < 1000; trial++) {
            float[] v = new float[L];
            for (int i = 0; i < L; i++) v[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(8)));
            // fold the upper half onto the lower half until one lane is left
            float[] tree = v.clone();
            for (int width = L / 2; width >= 1; width /= 2) {
                for (int i = 0; i < width; i++) tree[i] = tree[i] + tree[i + width];
            }
            float got = LaneMath.sum(FloatVector.fromArray(S, v, 0));
            if (Float.floatToIntBits(got) != Float.floatToIntBits(tree[0])) {
                fail("sum of " + java.util.Arrays.toString(v) + " is " + got + ", the tree gives " + tree[0]);
            }
        }
    }

    /**
     * The Vector API's own lane sum and exp change bits once C2 compiles them; ours must not. The first
     * calls run interpreted, the last ones compiled (tens of thousands of calls).
     */
    @Test
    void sumAndExpGiveTheSameBitsColdAndHot() {
        Random rng = new Random(3);
        float[][] inputs = new float[64][L];
        for (float[] v : inputs) for (int i = 0; i < L; i++) v[i] = (float) (rng.nextGaussian() * Math.pow(10, rng.nextInt(4)));
        float[] coldSum = new float[inputs.length], coldExp = new float[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            coldSum[i] = LaneMath.sum(FloatVector.fromArray(S, inputs[i], 0));
            coldExp[i] = LaneMath.sum(LaneMath.exp(FloatVector.fromArray(S, inputs[i], 0).mul(0.01f)));
        }
        for (int round = 0; round < 1500; round++) {
            for (int i = 0; i < inputs.length; i++) {
                float s = LaneMath.sum(FloatVector.fromArray(S, inputs[i], 0));
                float e = LaneMath.sum(LaneMath.exp(FloatVector.fromArray(S, inputs[i], 0).mul(0.01f)));
                if (Float.floatToIntBits(s) != Float.floatToIntBits(coldSum[i])) {
                    fail("sum of input " + i + " was " + coldSum[i] + " on the first call, " + s + " on round " + round);
                }
                if (Float.floatToIntBits(e) != Float.floatToIntBits(coldExp[i])) {
                    fail("exp of input " + i + " summed was " + coldExp[i] + " on the first call, " + e + " on round " + round);
                }
            }
        }
    }
}
