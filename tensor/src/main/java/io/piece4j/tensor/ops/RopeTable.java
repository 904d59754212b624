package io.piece4j.tensor.ops;

import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/**
 * cos and sin of the rotary angles, (maxSeq, headDim / 2) each: angle(p, i) = p * invFreq[i].
 * The frequencies come from the model (plain theta^(-2i/d), or Llama 3's scaled ones).
 *
 * <p>Frequencies and angles are rounded to float32 as llama2.c's run.c (powf, pos * freq, cosf) and
 * PyTorch's float32 inv_freq compute them, so greedy decoding follows those implementations as closely
 * as possible; the cos and sin of each float32 angle are then taken in double.
 */
public record RopeTable(Tensor cos, Tensor sin, int maxSeq, int headDim) {

    public static RopeTable of(Backend backend, int maxSeq, double[] invFreq) {
        int half = invFreq.length;
        double[] c = new double[maxSeq * half], s = new double[maxSeq * half];
        for (int p = 0; p < maxSeq; p++) {
            for (int i = 0; i < half; i++) {
                double a = (float) p * (float) invFreq[i]; // a float32 product, as run.c's pos * freq
                c[p * half + i] = Math.cos(a);
                s[p * half + i] = Math.sin(a);
            }
        }
        return new RopeTable(Tensor.zeros(backend, maxSeq, half).copyFromDouble(c),
                Tensor.zeros(backend, maxSeq, half).copyFromDouble(s), maxSeq, 2 * half);
    }

    /** invFreq[i] = 1 / theta^(2i / headDim) in float32 arithmetic, as run.c's 1.0f / powf(theta, 2i / (float) hd). */
    public static double[] standardFrequencies(int headDim, double theta) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            f[i] = 1.0f / (float) Math.pow((float) theta, exponent);
        }
        return f;
    }

    public static RopeTable standard(Backend backend, int maxSeq, int headDim, double theta) {
        return of(backend, maxSeq, standardFrequencies(headDim, theta));
    }
}
