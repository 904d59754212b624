package io.piece4j.tensor.ops;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/**
 * cos and sin of the rotary angles, (maxSeq, headDim / 2) each: angle(p, i) = p * invFreq[i].
 * The frequencies come from the model (plain theta^(-2i/d), or Llama 3's scaled ones).
 */
public record RopeTable(Tensor cos, Tensor sin, int maxSeq, int headDim) {

    public static RopeTable of(Backend backend, int maxSeq, double[] invFreq) {
        int half = invFreq.length;
        double[] c = new double[maxSeq * half], s = new double[maxSeq * half];
        for (int p = 0; p < maxSeq; p++) {
            for (int i = 0; i < half; i++) {
                double a = p * invFreq[i];
                c[p * half + i] = Math.cos(a);
                s[p * half + i] = Math.sin(a);
            }
        }
        return new RopeTable(Tensor.zeros(backend, maxSeq, half).copyFromDouble(c),
                Tensor.zeros(backend, maxSeq, half).copyFromDouble(s), maxSeq, 2 * half);
    }

    /** invFreq[i] = theta^(-2i / headDim), as in Llama 1 and 2. */
    public static double[] standardFrequencies(int headDim, double theta) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) f[i] = Math.pow(theta, -2.0 * i / headDim);
        return f;
    }

    public static RopeTable standard(Backend backend, int maxSeq, int headDim, double theta) {
        return of(backend, maxSeq, standardFrequencies(headDim, theta));
    }
}
