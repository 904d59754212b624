package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.ParamSpec;
import io.piece4j.nn.LlamaConfig.RopeLayout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What every writer does first: check a model's tensors against its config and bring them into the target's RoPE layout. */
final class ModelTensors {
    private ModelTensors() {}

    /**
     * The tensors in canonical order with wq and wk rows permuted from the config's layout to {@code target}
     * (others are passed through, not copied). Every parameter of the config must be given once with its shape.
     */
    static List<NamedTensor> prepare(LlamaConfig config, List<NamedTensor> tensors, RopeLayout target) {
        Map<String, NamedTensor> byName = new HashMap<>();
        for (NamedTensor t : tensors) {
            if (byName.put(t.name(), t) != null) throw new IllegalArgumentException("tensor '" + t.name() + "' given twice");
        }
        List<ParamSpec> specs = config.parameterSpecs();
        if (byName.size() != specs.size()) {
            List<String> expected = specs.stream().map(ParamSpec::name).toList();
            List<String> extra = byName.keySet().stream().filter(n -> !expected.contains(n)).sorted().toList();
            List<String> missing = expected.stream().filter(n -> !byName.containsKey(n)).toList();
            throw new IllegalArgumentException("tensors do not match the config: missing " + missing + ", unexpected " + extra);
        }
        List<NamedTensor> out = new ArrayList<>(specs.size());
        for (ParamSpec spec : specs) {
            NamedTensor t = byName.get(spec.name());
            if (t == null) throw new IllegalArgumentException("tensor '" + spec.name() + "' is missing");
            if (!Arrays.equals(t.shape(), spec.shape())) {
                throw new IllegalArgumentException("tensor '" + spec.name() + "' shape " + Arrays.toString(t.shape())
                        + ": expected " + Arrays.toString(spec.shape()) + " from the config");
            }
            boolean rotated = spec.name().endsWith(".attn.wq") || spec.name().endsWith(".attn.wk");
            if (rotated && config.ropeLayout() != target) {
                int rows = spec.shape()[0], cols = spec.shape()[1];
                int heads = spec.name().endsWith(".attn.wq") ? config.heads() : config.kvHeads();
                float[] data = target == RopeLayout.INTERLEAVED
                        ? RopePermutation.halfSplitToInterleaved(t.data(), rows, cols, heads)
                        : RopePermutation.interleavedToHalfSplit(t.data(), rows, cols, heads);
                out.add(new NamedTensor(spec.name(), spec.shape(), data));
            } else {
                out.add(t);
            }
        }
        return out;
    }
}
