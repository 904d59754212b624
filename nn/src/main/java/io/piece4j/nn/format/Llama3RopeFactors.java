package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig.RopeScaling;

import java.util.ArrayList;
import java.util.List;

/**
 * Llama 3.1's RoPE scaling as llama.cpp stores it: a tensor rope_freqs.weight of headDim/2 divisors, one per
 * frequency theta^(-2i/headDim). With L = original context, lo/hi the low/high frequency factors and
 * wavelength w = 2 pi / freq: the divisor is 1 when w < L/hi, factor when w > L/lo, and in between
 * 1 / ((1 - s) / factor + s) with s = (L/w - lo) / (hi - lo).
 *
 * <p>GGUF has no standard keys for the four numbers, so reading a file from another writer recovers them from
 * the divisors: factor is the largest divisor and s is linear in 1/w, so a line through two points of the
 * interpolated band (or through the band's edges) gives lo and hi for L = 8192 (only L/lo and L/hi matter).
 */
final class Llama3RopeFactors {
    /** The original context assumed when a file gives none; any value yields the same frequencies. */
    static final int ASSUMED_ORIGINAL_CONTEXT = 8192;
    private static final double TOLERANCE = 1e-4;

    private Llama3RopeFactors() {}

    /** The headDim/2 frequency divisors of a scaling ({@link RopeScaling#divisor}). */
    static float[] of(RopeScaling s, int headDim, float theta) {
        float[] r = new float[headDim / 2];
        for (int i = 0; i < r.length; i++) r[i] = (float) s.divisor(frequency(i, headDim, theta));
        return r;
    }

    /**
     * A scaling that reproduces the divisors to a relative 1e-4, null when every divisor is 1, or an exception
     * when no Llama 3 scaling gives them.
     */
    static RopeScaling fit(float[] divisors, int headDim, float theta) {
        float factor = 0;
        for (float r : divisors) {
            if (!(r >= 1) || !Float.isFinite(r)) throw new IllegalArgumentException("divisor " + r + ": expected a finite number >= 1");
            factor = Math.max(factor, r);
        }
        if (factor <= 1 + TOLERANCE) return null;
        // (u, s) points: u = 1/wavelength, s = position in the interpolated band (0 at the long end, 1 at the short)
        List<double[]> band = new ArrayList<>();
        double edgeScaled = Double.NaN, edgeUnscaled = Double.NaN;
        for (int i = 0; i < divisors.length; i++) {
            double u = frequency(i, headDim, theta) / (2 * Math.PI);
            double r = divisors[i];
            if (Math.abs(r - 1) <= TOLERANCE) {
                if (Double.isNaN(edgeUnscaled) || u < edgeUnscaled) edgeUnscaled = u;
            } else if (Math.abs(r - factor) <= TOLERANCE * factor) {
                if (Double.isNaN(edgeScaled) || u > edgeScaled) edgeScaled = u;
            } else {
                band.add(new double[] {u, (1 / r - 1 / factor) / (1 - 1 / factor)});
            }
        }
        List<double[]> points = new ArrayList<>();
        if (band.size() >= 2) {
            points.add(band.getFirst());
            points.add(band.getLast());
        } else {
            points.addAll(band);
        }
        if (!Double.isNaN(edgeScaled)) points.add(new double[] {edgeScaled, 0});
        if (!Double.isNaN(edgeUnscaled)) points.add(new double[] {edgeUnscaled, 1});
        for (int a = 0; a < points.size(); a++) {
            for (int b = a + 1; b < points.size(); b++) {
                RopeScaling candidate = line(points.get(a), points.get(b), factor);
                if (candidate != null && reproduces(candidate, divisors, headDim, theta)) return candidate;
            }
        }
        throw new IllegalArgumentException("no Llama 3 scaling (factor " + factor + ") reproduces the divisors");
    }

    // s = slope * u - intercept with slope = L / (hi - lo) and intercept = lo / (hi - lo)
    private static RopeScaling line(double[] p, double[] q, float factor) {
        if (p[0] == q[0]) return null;
        double slope = (q[1] - p[1]) / (q[0] - p[0]);
        double intercept = slope * p[0] - p[1];
        if (!(slope > 0) || !(intercept > 0)) return null;
        double width = ASSUMED_ORIGINAL_CONTEXT / slope;
        float lo = (float) (intercept * width);
        float hi = (float) (intercept * width + width);
        if (!(lo > 0) || !(hi > lo) || !Float.isFinite(hi)) return null;
        return new RopeScaling(factor, lo, hi, ASSUMED_ORIGINAL_CONTEXT);
    }

    private static boolean reproduces(RopeScaling s, float[] divisors, int headDim, float theta) {
        float[] r = of(s, headDim, theta);
        for (int i = 0; i < r.length; i++) {
            if (Math.abs(r[i] - divisors[i]) > TOLERANCE * divisors[i]) return false;
        }
        return true;
    }

    private static double frequency(int i, int headDim, float theta) {
        return Math.pow(theta, -2.0 * i / headDim);
    }
}
