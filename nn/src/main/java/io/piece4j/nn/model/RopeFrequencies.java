package io.piece4j.nn.model;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.tensor.ops.RopeTable;

/** The rotary frequencies of a config: theta^(-2i/d), with Llama 3's long-context scaling when the config has it. */
final class RopeFrequencies {
    private RopeFrequencies() {}

    static double[] of(LlamaConfig c) {
        double[] f = RopeTable.standardFrequencies(c.headDim(), c.ropeTheta());
        LlamaConfig.RopeScaling s = c.ropeScaling();
        if (s != null) for (int i = 0; i < f.length; i++) f[i] = s.scale(f[i]);
        return f;
    }
}
