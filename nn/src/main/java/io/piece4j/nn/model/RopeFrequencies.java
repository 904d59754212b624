package io.piece4j.nn.model;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.tensor.ops.RopeTable;

/** The rotary frequencies of a config: theta^(-2i/d), with Llama 3's long-context scaling when the config has it. */
final class RopeFrequencies {
    private RopeFrequencies() {}

    static double[] of(LlamaConfig c) {
        double[] f = RopeTable.standardFrequencies(c.headDim(), c.ropeTheta());
        var s = c.ropeScaling();
        if (s == null) return f;
        // Llama 3.1: long wavelengths are slowed by `factor`, short ones kept, the band between interpolated
        double original = s.originalMaxPositionEmbeddings();
        double lowWavelen = original / s.lowFreqFactor();
        double highWavelen = original / s.highFreqFactor();
        for (int i = 0; i < f.length; i++) {
            double wavelen = 2 * Math.PI / f[i];
            if (wavelen < highWavelen) continue;
            if (wavelen > lowWavelen) {
                f[i] = f[i] / s.factor();
            } else {
                double smooth = (original / wavelen - s.lowFreqFactor()) / ((double) s.highFreqFactor() - s.lowFreqFactor());
                f[i] = (1 - smooth) * f[i] / s.factor() + smooth * f[i];
            }
        }
        return f;
    }
}
