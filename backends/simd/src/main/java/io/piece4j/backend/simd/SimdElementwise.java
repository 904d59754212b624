package io.piece4j.backend.simd;

import io.piece4j.tensor.spi.BinaryOp;
import io.piece4j.tensor.spi.UnaryOp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Elementwise kernels over one contiguous stretch of n elements, each array given with the offset of
 * that stretch. The backend cuts a tensor into stretches and runs them on its threads; every element is
 * computed by the same arithmetic wherever the cuts fall (vector lanes and the scalar tail agree bit for
 * bit, see {@link LaneMath}), so results do not depend on the number of threads.
 */
final class SimdElementwise {
    private SimdElementwise() {}

    private static final VectorSpecies<Float> S = SimdSpecies.FLOAT;
    private static final int L = S.length();

    // ---------------------------------------------------------------- unary

    /** y = f(x). LOG stays scalar: the Vector API's LOG is not reproducible and log is rarely hot. */
    static void unary(UnaryOp op, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        if (op != UnaryOp.LOG) {
            for (int bound = S.loopBound(n); i < bound; i += L) {
                apply(op, FloatVector.fromArray(S, x, xo + i)).intoArray(y, yo + i);
            }
        }
        for (; i < n; i++) y[yo + i] = apply(op, x[xo + i]);
    }

    private static FloatVector apply(UnaryOp op, FloatVector x) {
        return switch (op) {
            case EXP -> LaneMath.exp(x);
            case SILU -> LaneMath.silu(x);
            case NEG -> x.neg();
            case SQUARE -> x.mul(x);
            case SQRT -> x.sqrt();
            case LOG -> throw new IllegalArgumentException("LOG has no vector form here");
        };
    }

    private static float apply(UnaryOp op, float x) {
        return switch (op) {
            case EXP -> LaneMath.exp(x);
            case SILU -> LaneMath.silu(x);
            case NEG -> -x;
            case SQUARE -> x * x;
            case SQRT -> (float) Math.sqrt(x);
            case LOG -> (float) Math.log(x);
        };
    }

    // ---------------------------------------------------------------- binary

    /** out = a op b, all three n long. */
    static void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            apply(op, FloatVector.fromArray(S, a, ao + i), FloatVector.fromArray(S, b, bo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) out[oo + i] = apply(op, a[ao + i], b[bo + i]);
    }

    /** out = a op b for one scalar b. */
    static void binaryScalar(BinaryOp op, float[] a, int ao, float b, float[] out, int oo, int n) {
        FloatVector vb = FloatVector.broadcast(S, b);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            apply(op, FloatVector.fromArray(S, a, ao + i), vb).intoArray(out, oo + i);
        }
        for (; i < n; i++) out[oo + i] = apply(op, a[ao + i], b);
    }

    private static FloatVector apply(BinaryOp op, FloatVector a, FloatVector b) {
        return switch (op) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
        };
    }

    private static float apply(BinaryOp op, float a, float b) {
        return switch (op) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }

    /**
     * The backward of out = a op b over n elements where b is n long too (or one row of a broadcast, when
     * db is a partial sum being built): da += g * d(out)/da; db += g * d(out)/db. da or db may be null.
     */
    static void binaryBackward(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] g, int go,
                               float[] da, int dao, float[] db, int dbo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector vg = FloatVector.fromArray(S, g, go + i);
            FloatVector vb = FloatVector.fromArray(S, b, bo + i);
            if (da != null) {
                gradA(op, vg, vb).add(FloatVector.fromArray(S, da, dao + i)).intoArray(da, dao + i);
            }
            if (db != null) {
                FloatVector va = FloatVector.fromArray(S, a, ao + i);
                gradB(op, vg, va, vb).add(FloatVector.fromArray(S, db, dbo + i)).intoArray(db, dbo + i);
            }
        }
        for (; i < n; i++) {
            if (da != null) da[dao + i] += gradA(op, g[go + i], b[bo + i]);
            if (db != null) db[dbo + i] += gradB(op, g[go + i], a[ao + i], b[bo + i]);
        }
    }

    /**
     * The backward of out = a op b for one scalar b: da += g * d(out)/da, and returns the sum of
     * g * d(out)/db over these n elements (the caller adds the stretches' sums in a fixed order).
     */
    static double binaryBackwardScalar(BinaryOp op, float[] a, int ao, float b, float[] g, int go,
                                       float[] da, int dao, boolean wantDb, int n) {
        FloatVector vb = FloatVector.broadcast(S, b);
        FloatVector dbLanes = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector vg = FloatVector.fromArray(S, g, go + i);
            if (da != null) gradA(op, vg, vb).add(FloatVector.fromArray(S, da, dao + i)).intoArray(da, dao + i);
            if (wantDb) dbLanes = dbLanes.add(gradB(op, vg, FloatVector.fromArray(S, a, ao + i), vb));
        }
        double dbSum = wantDb ? LaneMath.sum(dbLanes) : 0;
        for (; i < n; i++) {
            if (da != null) da[dao + i] += gradA(op, g[go + i], b);
            if (wantDb) dbSum += gradB(op, g[go + i], a[ao + i], b);
        }
        return dbSum;
    }

    private static FloatVector gradA(BinaryOp op, FloatVector g, FloatVector b) {
        return switch (op) {
            case ADD, SUB -> g;
            case MUL -> g.mul(b);
            case DIV -> g.div(b);
        };
    }

    private static float gradA(BinaryOp op, float g, float b) {
        return switch (op) {
            case ADD, SUB -> g;
            case MUL -> g * b;
            case DIV -> g / b;
        };
    }

    private static FloatVector gradB(BinaryOp op, FloatVector g, FloatVector a, FloatVector b) {
        return switch (op) {
            case ADD -> g;
            case SUB -> g.neg();
            case MUL -> g.mul(a);
            case DIV -> g.neg().mul(a).div(b.mul(b));
        };
    }

    private static float gradB(BinaryOp op, float g, float a, float b) {
        return switch (op) {
            case ADD -> g;
            case SUB -> -g;
            case MUL -> g * a;
            case DIV -> -g * a / (b * b);
        };
    }

    // ---------------------------------------------------------------- axpy, norms

    /** dst += alpha * src. */
    static void addScaled(float[] dst, int dso, float[] src, int so, float alpha, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, src, so + i).fma(FloatVector.broadcast(S, alpha), FloatVector.fromArray(S, dst, dso + i)).intoArray(dst, dso + i);
        }
        for (; i < n; i++) dst[dso + i] = Math.fma(src[so + i], alpha, dst[dso + i]);
    }

    // ---------------------------------------------------------------- swiglu

    /** out = silu(gate) * up. */
    static void swiglu(float[] gate, int go, float[] up, int uo, float[] out, int oo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            LaneMath.silu(FloatVector.fromArray(S, gate, go + i)).mul(FloatVector.fromArray(S, up, uo + i)).intoArray(out, oo + i);
        }
        for (; i < n; i++) out[oo + i] = LaneMath.silu(gate[go + i]) * up[uo + i];
    }

    /**
     * With s = sigmoid(gate): dGate += dOut * up * s * (1 + gate * (1 - s)); dUp += dOut * gate * s.
     * Either gradient may be null.
     */
    static void swigluBackward(float[] gate, int go, float[] up, int uo, float[] dOut, int doo,
                               float[] dGate, int dgo, float[] dUp, int duo, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector x = FloatVector.fromArray(S, gate, go + i);
            FloatVector d = FloatVector.fromArray(S, dOut, doo + i);
            FloatVector s = FloatVector.broadcast(S, 1f).div(LaneMath.exp(x.neg()).add(1f));
            if (dGate != null) {
                FloatVector grad = s.mul(x.mul(s.neg().add(1f)).add(1f)); // silu'(x)
                d.mul(FloatVector.fromArray(S, up, uo + i)).fma(grad, FloatVector.fromArray(S, dGate, dgo + i))
                        .intoArray(dGate, dgo + i);
            }
            if (dUp != null) d.fma(x.mul(s), FloatVector.fromArray(S, dUp, duo + i)).intoArray(dUp, duo + i);
        }
        for (; i < n; i++) {
            float x = gate[go + i], d = dOut[doo + i];
            float s = 1f / (LaneMath.exp(-x) + 1f);
            if (dGate != null) dGate[dgo + i] = Math.fma(d * up[uo + i], s * (x * (-s + 1f) + 1f), dGate[dgo + i]);
            if (dUp != null) dUp[duo + i] = Math.fma(d, x * s, dUp[duo + i]);
        }
    }

    // ---------------------------------------------------------------- adamw

    /**
     * torch.optim.AdamW over n coordinates, in float: p = p * decay - step * m / (sqrt(v) * rsqrtBias2 + eps)
     * with decay = 1 - lr * weightDecay, step = lr / bias1, rsqrtBias2 = 1 / sqrt(bias2), after
     * m = beta1 m + (1 - beta1) g and v = beta2 v + (1 - beta2) g^2.
     */
    static void adamw(float[] p, int po, float[] g, int go, float[] m, int mo, float[] v, int vo, int n,
                      float decay, float step, float rsqrtBias2, float beta1, float beta2, float eps) {
        float oneMinusBeta1 = 1f - beta1, oneMinusBeta2 = 1f - beta2;
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector gi = FloatVector.fromArray(S, g, go + i);
            FloatVector mi = FloatVector.fromArray(S, m, mo + i).mul(beta1).add(gi.mul(oneMinusBeta1));
            FloatVector vi = FloatVector.fromArray(S, v, vo + i).mul(beta2).add(gi.mul(gi).mul(oneMinusBeta2));
            mi.intoArray(m, mo + i);
            vi.intoArray(v, vo + i);
            FloatVector update = mi.mul(step).div(vi.sqrt().mul(rsqrtBias2).add(eps));
            FloatVector.fromArray(S, p, po + i).mul(decay).sub(update).intoArray(p, po + i);
        }
        for (; i < n; i++) {
            float gi = g[go + i];
            float mi = m[mo + i] * beta1 + gi * oneMinusBeta1;
            float vi = v[vo + i] * beta2 + gi * gi * oneMinusBeta2;
            m[mo + i] = mi;
            v[vo + i] = vi;
            p[po + i] = p[po + i] * decay - mi * step / ((float) Math.sqrt(vi) * rsqrtBias2 + eps);
        }
    }

    /**
     * The same arithmetic as {@link #adamw}'s scalar tail (which equals its vector body lane for lane) at
     * coordinates idx[j] only, with moments m[mo + j], v[vo + j]; the gradient is first multiplied by
     * gradScale in float, as clipping a dense gradient would. So a full mask gives dense AdamW's bits.
     */
    static void maskedAdamw(float[] p, int po, float[] g, int go, int[] idx, float[] m, int mo, float[] v, int vo,
                            float decay, float step, float rsqrtBias2, float beta1, float beta2, float eps, float gradScale) {
        maskedAdamw(p, po, g, go, false, idx, m, mo, v, vo, decay, step, rsqrtBias2, beta1, beta2, eps, gradScale);
    }

    /**
     * Coordinate idx[j] of p with gradient g[go + (compact ? j : idx[j])]: compact gradients hold only the masked
     * coordinates, in mask order; the arithmetic is the same either way.
     */
    static void maskedAdamw(float[] p, int po, float[] g, int go, boolean compact, int[] idx, float[] m, int mo, float[] v, int vo,
                            float decay, float step, float rsqrtBias2, float beta1, float beta2, float eps, float gradScale) {
        float oneMinusBeta1 = 1f - beta1, oneMinusBeta2 = 1f - beta2;
        for (int j = 0; j < idx.length; j++) {
            int k = idx[j];
            float gj = g[go + (compact ? j : k)];
            float gi = gradScale == 1f ? gj : gj * gradScale;
            float mi = m[mo + j] * beta1 + gi * oneMinusBeta1;
            float vi = v[vo + j] * beta2 + gi * gi * oneMinusBeta2;
            m[mo + j] = mi;
            v[vo + j] = vi;
            p[po + k] = p[po + k] * decay - mi * step / ((float) Math.sqrt(vi) * rsqrtBias2 + eps);
        }
    }
}
