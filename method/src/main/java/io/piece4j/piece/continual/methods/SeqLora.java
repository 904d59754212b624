package io.piece4j.piece.continual.methods;

import io.piece4j.nn.format.SafetensorsFile;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.lora.LoraAdapter;
import io.piece4j.piece.lora.LoraSettings;
import io.piece4j.piece.train.Trainable;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SeqLoRA: one LoRA adapter (rank 8, alpha 32 on wq and wv by default) trained through the whole task
 * sequence with the model's weights frozen. After each task the adapter is merged into the weights, which
 * are what the runner evaluates and saves; before the next task the base weights come back and the same
 * adapter trains on. So the method keeps a copy of the base's adapted weights beside the adapter.
 *
 * <p>Settings: lora.rank, lora.alpha, lora.targets (comma list of wq, wk, wv, wo, w_gate, w_up, w_down).
 */
public final class SeqLora implements ContinualMethod {
    private static final String STATE_FILE = "seqlora.safetensors";

    private final LoraSettings settings;
    private final long seed;
    private LoraAdapter adapter;                // null before the first task
    private Map<String, float[]> baseWeights;   // adapted weight name -> the base model's values (out * in)

    public SeqLora(LoraSettings settings, long seed) {
        this.settings = settings;
        this.seed = seed;
    }

    @Override public String name() { return "seqlora"; }

    @Override
    public String describe() {
        return "one LoRA adapter (" + settings.describe() + ") trained through the whole sequence, weights frozen; evaluated merged";
    }

    @Override public long addedParameters() { return adapter == null ? 0 : adapter.size(); }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        LlamaModel model = ctx.model();
        if (adapter == null) {
            adapter = LoraAdapter.create(model, settings, seed);
            baseWeights = new LinkedHashMap<>();
            for (LoraAdapter.Pair p : adapter.pairs()) baseWeights.put(p.weight(), model.parameter(p.weight()).toArray());
        } else {
            // the model holds base + the adapter of the last task, merged; the adapter trains on from the base
            for (var e : baseWeights.entrySet()) model.parameter(e.getKey()).copyFrom(e.getValue());
        }
        adapter.attach(model);
        return TrainPlan.of(Trainable.own(adapter.parameters(), adapter.gradients()), null);
    }

    @Override
    public void afterTask(TaskContext ctx) {
        LoraAdapter.detach(ctx.model());
        adapter.mergeInto(ctx.model());
    }

    @Override
    public void saveState(Path dir) throws IOException {
        Map<String, SafetensorsFile.Data> base = new LinkedHashMap<>();
        for (LoraAdapter.Pair p : adapter.pairs()) {
            base.put("base." + p.weight(), SafetensorsFile.Data.f32(new int[] {p.out(), p.in()}, baseWeights.get(p.weight())));
        }
        adapter.write(dir.resolve(STATE_FILE), base);
    }

    @Override
    public void loadState(Path dir, TaskContext next) throws IOException {
        Path file = dir.resolve(STATE_FILE);
        adapter = LoraAdapter.read(file, next.model(), settings);
        baseWeights = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (LoraAdapter.Pair p : adapter.pairs()) baseWeights.put(p.weight(), f.readFloats("base." + p.weight()));
        }
    }
}
