package io.piece4j.backend.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The two vector operations whose Vector API versions are not reproducible, written here with IEEE-exact
 * lane operations only (add, mul, fma, min, max, conversions), so that a result does not depend on whether
 * the JVM ran the kernel interpreted or compiled:
 * <ul>
 * <li>{@code reduceLanes(ADD)} on floats may add lanes in any order; the interpreter and C2 really do
 *     differ (on this machine 676 of 1000 random 16-lane sums changed bits between the cold and the hot
 *     call). {@link #sum} folds the halves of the vector in a fixed order instead.</li>
 * <li>{@code lanewise(EXP)} runs {@code Math.exp} per lane when interpreted and a vector library (SVML)
 *     when compiled, which disagree in the last bit now and then (6 of 1000 here). {@link #exp} is a
 *     polynomial of our own, and {@link #exp(float)} is the same arithmetic for one float, so a scalar
 *     tail gives the same bits as a vector lane would.</li>
 * </ul>
 */
final class LaneMath {
    private LaneMath() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;

    /** FOLDS[i] brings the upper half of the first (lanes >> i) lanes onto the lower half. */
    private static final VectorShuffle<Float>[] FOLDS = folds();

    @SuppressWarnings({"unchecked", "rawtypes"}) // no generic arrays in Java
    private static VectorShuffle<Float>[] folds() {
        int steps = Integer.numberOfTrailingZeros(S.length());
        VectorShuffle<Float>[] f = new VectorShuffle[steps];
        for (int i = 0; i < steps; i++) {
            int half = S.length() >> (i + 1);
            f[i] = VectorShuffle.fromOp(S, lane -> (lane + half) % S.length());
        }
        return f;
    }

    /** Sum of the lanes, always as the same tree: ((l0 + l8) + (l4 + l12)) + ... for 16 lanes. */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> fold : FOLDS) v = v.add(v.rearrange(fold));
        return v.lane(0);
    }

    // ---------------------------------------------------------------- exp

    // exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (Cody-Waite: ln 2 split
    // into LN2_HI, exactly representable with few bits so n * LN2_HI is exact, and LN2_LO), exp(r) by the
    // degree-7 polynomial of Cephes' expf (relative error about 1 ulp). x is clamped to [-104, 89] first:
    // below, exp underflows to 0; above, it overflows to infinity, and the scaling below gets both right.
    private static final float MIN_X = -104f;
    private static final float MAX_X = 89f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: x + ROUND - ROUND rounds x to an integer
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    /** e^x per lane; NaN stays NaN. */
    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(MIN_X).min(MAX_X);
        FloatVector n = c.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector p = r.fma(P0, P1).fma(r, FloatVector.broadcast(S, P2)).fma(r, FloatVector.broadcast(S, P3))
                .fma(r, FloatVector.broadcast(S, P4)).fma(r, FloatVector.broadcast(S, P5));
        FloatVector er = p.fma(r.mul(r), r).add(1f);
        // 2^n as two normal powers of two, 2^(n>>1) * 2^(n - (n>>1)), since n in [-150, 128] does not fit
        // one float exponent; multiplying by them in turn rounds a tiny or huge result as IEEE does
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return er.mul(s1).mul(s2);
    }

    /** The same arithmetic as one lane of {@link #exp(FloatVector)}, bit for bit. */
    static float exp(float x) {
        float c = Math.min(Math.max(x, MIN_X), MAX_X);
        float n = c * LOG2E + ROUND - ROUND;
        float r = Math.fma(n, -LN2_HI, c);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(r, P0, P1), r, P2), r, P3), r, P4), r, P5);
        float er = Math.fma(p, r * r, r) + 1f;
        int ni = (int) n;
        int n1 = ni >> 1;
        int n2 = ni - n1;
        return er * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
    }

    /** silu(x) = x / (1 + e^-x), with {@link #exp}. */
    static FloatVector silu(FloatVector x) {
        return x.div(exp(x.neg()).add(1f));
    }

    static float silu(float x) {
        return x / (exp(-x) + 1f);
    }
}
