package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.ParamSpec;
import io.piece4j.nn.LlamaConfig.RopeLayout;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Tiny Llama configs and seeded random weights for format tests. */
final class TinyModels {
    private TinyModels() {}

    /** dim 16, 2 layers, 4 heads of 4, 2 KV heads (GQA), hidden 24, vocab 11, seq 8. */
    static LlamaConfig config(RopeLayout layout, boolean tied) {
        return new LlamaConfig(16, 2, 4, 2, 4, 24, 11, 8, 1e-5f, 10000f, tied, layout, null);
    }

    /** Weights ~ N(0, 1) from the seed, norms around 1; every value distinct so permutations show. */
    static List<NamedTensor> weights(LlamaConfig config, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<NamedTensor> out = new ArrayList<>();
        for (ParamSpec p : config.parameterSpecs()) {
            float[] data = new float[(int) p.numel()];
            for (int i = 0; i < data.length; i++) {
                double g = random.nextGaussian();
                data[i] = (float) (p.shape().length == 1 ? 1 + 0.1 * g : g);
            }
            out.add(new NamedTensor(p.name(), p.shape(), data));
        }
        return out;
    }

    static NamedTensor find(List<NamedTensor> tensors, String name) {
        return tensors.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }
}
