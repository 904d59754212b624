package io.piece4j.piece.continual.methods;

import io.piece4j.nn.format.SafetensorsFile;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.lora.LoraAdapter;
import io.piece4j.piece.lora.LoraSettings;
import io.piece4j.piece.train.Trainable;
import io.piece4j.piece.train.TrainingHooks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * O-LoRA (Wang et al. 2023, "Orthogonal Subspace Learning for Language Model Continual Learning"): a new
 * LoRA adapter per task, earlier adapters frozen, and an orthogonality penalty lambda * sum |A_old A_new^T|
 * (lambda 0.5) that pushes the new adapter's rows away from the subspaces earlier tasks used. The frozen
 * earlier adapters are merged into the weights after their task (the original keeps them beside the model
 * and adds their paths; the function is the same up to rounding), so only their A matrices are kept, for
 * the penalty.
 *
 * <p>Settings: lora.rank, lora.alpha, lora.targets as SeqLoRA; olora.lambda (>= 0).
 */
public final class OLora implements ContinualMethod {
    private static final String STATE_FILE = "olora.safetensors";

    private final LoraSettings settings;
    private final double lambda;
    private final long seed;
    private final Map<String, float[]> oldA = new LinkedHashMap<>(); // adapted weight -> (rank * tasksDone, in)
    private int tasksDone;
    private long adapterSize;
    private LoraAdapter current;

    public OLora(LoraSettings settings, double lambda, long seed) {
        if (!(lambda >= 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("--method-setting olora.lambda=" + lambda + ": expected a finite number >= 0");
        }
        this.settings = settings;
        this.lambda = lambda;
        this.seed = seed;
    }

    @Override public String name() { return "olora"; }

    @Override
    public String describe() {
        return "a new LoRA adapter per task (" + settings.describe() + "), earlier ones frozen (merged), orthogonality penalty "
                + lambda + " * sum |A_old A_new^T|; evaluated merged";
    }

    /** Every task's adapter counts: the original keeps them all beside the model. */
    @Override public long addedParameters() { return tasksDone * adapterSize; }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        LlamaModel model = ctx.model();
        current = LoraAdapter.create(model, settings, adapterSeed(ctx.taskIndex()));
        adapterSize = current.size();
        current.attach(model);
        TrainingHooks hooks = tasksDone == 0 || lambda == 0 ? TrainingHooks.NONE : new OrthogonalityPenalty(lambda, current, oldA);
        return new TrainPlan(Trainable.own(current.parameters(), current.gradients()), hooks, null, null);
    }

    /** Each task's adapter starts from its own draw of the run's seed. */
    private long adapterSeed(int taskIndex) {
        return seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L * (taskIndex + 1);
    }

    @Override
    public void afterTask(TaskContext ctx) {
        LoraAdapter.detach(ctx.model());
        current.mergeInto(ctx.model());
        for (LoraAdapter.Pair p : current.pairs()) {
            float[] before = oldA.getOrDefault(p.weight(), new float[0]);
            float[] a = p.a().toArray();
            float[] stacked = java.util.Arrays.copyOf(before, before.length + a.length); // rows of this task's A after the earlier ones
            System.arraycopy(a, 0, stacked, before.length, a.length);
            oldA.put(p.weight(), stacked);
        }
        tasksDone++;
        current = null;
    }

    @Override
    public void saveState(Path dir) throws IOException {
        Map<String, SafetensorsFile.Data> tensors = new LinkedHashMap<>();
        for (var e : oldA.entrySet()) {
            int rows = settings.rank() * tasksDone;
            tensors.put(e.getKey() + ".lora_A_old", SafetensorsFile.Data.f32(new int[] {rows, e.getValue().length / rows}, e.getValue()));
        }
        SafetensorsFile.write(dir.resolve(STATE_FILE), tensors,
                Map.of("tasks", Integer.toString(tasksDone), "adapter_size", Long.toString(adapterSize)));
    }

    @Override
    public void loadState(Path dir, TaskContext next) throws IOException {
        Path file = dir.resolve(STATE_FILE);
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            tasksDone = Integer.parseInt(f.metadata().get("tasks"));
            adapterSize = Long.parseLong(f.metadata().get("adapter_size"));
            oldA.clear();
            for (SafetensorsFile.Entry e : f.tensors()) {
                String n = e.name();
                if (!n.endsWith(".lora_A_old")) continue;
                if (e.shape()[0] != settings.rank() * tasksDone) {
                    throw new IOException(file + ": tensor '" + n + "' has " + e.shape()[0] + " rows: expected rank * tasks = " + settings.rank() * tasksDone);
                }
                oldA.put(n.substring(0, n.length() - ".lora_A_old".length()), f.readFloats(n));
            }
        }
    }
}
