package io.piece4j.piece.lora;

import io.piece4j.nn.format.SafetensorsFile;
import io.piece4j.nn.model.LinearHook;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.spi.Backend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.piece4j.tensor.ops.MatMul.linear;

/**
 * A LoRA adapter (Hu et al. 2021) on some linear weights of every block: W x becomes W x + s B (A x) with
 * A (r, in), B (out, r) and s = alpha / r. A starts uniform in +-1/sqrt(in) (PEFT's kaiming-uniform with
 * a = sqrt(5)) and B at zero, so a new adapter changes nothing.
 *
 * <p>Every A and B lives in one flat buffer of the adapter's own, with a gradient buffer of the same
 * layout, so the one optimizer trains it like any other buffer ({@code Trainable.own}) while the model's
 * weights stay frozen. The adapter joins the model's training forward as its {@link LinearHook}; for
 * evaluation and generation it is merged into the weights ({@link #mergeInto}).
 */
public final class LoraAdapter implements LinearHook {
    /** One adapted weight: its name in the model ("layers.0.attn.wq"), A (r, in) and B (out, r), views into the buffers. */
    public record Pair(String weight, Tensor a, Tensor b) {
        public int in() { return a.dim(1); }
        public int out() { return b.dim(0); }
    }

    private final LoraSettings settings;
    private final Tensor params, grads;        // (N) every A then B, weight after weight in layout order
    private final Map<String, Pair> byWeight;  // layout order

    private LoraAdapter(LlamaModel model, LoraSettings settings) {
        this.settings = settings;
        ParameterLayout layout = model.layout();
        int r = settings.rank();
        List<ParameterLayout.Entry> adapted = new ArrayList<>();
        for (ParameterLayout.Entry e : layout.entries()) {
            if (e.layer() >= 0 && settings.modules().contains(e.module())) adapted.add(e);
        }
        long n = 0;
        for (ParameterLayout.Entry e : adapted) n += (long) r * (e.cols() + e.rows());
        Backend be = model.backend();
        this.params = Tensor.zeros(be, Math.toIntExact(n)).named("lora");
        this.grads = Tensor.zeros(be, Math.toIntExact(n)).named("lora.grad");
        Map<String, Pair> map = new LinkedHashMap<>();
        long off = 0;
        for (ParameterLayout.Entry e : adapted) {
            int in = e.cols(), out = e.rows();
            Tensor a = leaf(e.name() + ".lora_A", off, r, in);
            off += (long) r * in;
            Tensor b = leaf(e.name() + ".lora_B", off, out, r);
            off += (long) out * r;
            map.put(e.name(), new Pair(e.name(), a, b));
        }
        this.byWeight = Collections.unmodifiableMap(map);
    }

    private Tensor leaf(String name, long offset, int rows, int cols) {
        Tensor t = Tensor.view(params.storage(), offset, rows, cols).named(name);
        t.requireGrad();
        t.setGrad(Tensor.view(grads.storage(), offset, rows, cols));
        return t;
    }

    /** A new adapter for model: every A drawn from seed in layout order, every B zero. */
    public static LoraAdapter create(LlamaModel model, LoraSettings settings, long seed) {
        LoraAdapter adapter = new LoraAdapter(model, settings);
        Rng rng = new Rng(seed);
        float[] values = new float[adapter.params.size()];
        for (Pair p : adapter.byWeight.values()) {
            float bound = (float) (1 / Math.sqrt(p.in()));
            int from = Math.toIntExact(p.a.offset()), n = p.a.size();
            for (int i = 0; i < n; i++) values[from + i] = (2 * rng.nextFloat() - 1) * bound;
        }
        adapter.params.copyFrom(values);
        return adapter;
    }

    public LoraSettings settings() { return settings; }

    /** (N) every A and B: what the optimizer trains. */
    public Tensor parameters() { return params; }

    /** (N) their gradient, filled by backward. */
    public Tensor gradients() { return grads; }

    /** Parameters the adapter adds: r * (in + out) per adapted weight. */
    public long size() { return params.numel(); }

    /** The adapted weights in layout order. */
    public List<Pair> pairs() { return List.copyOf(byWeight.values()); }

    /** The adapter of one weight, or null if it is not adapted. */
    public Pair pair(String weight) { return byWeight.get(weight); }

    /** y + s * (x A^T) B^T for an adapted weight, y otherwise. Backward reaches A and B (and x when it needs a gradient). */
    @Override
    public Tensor apply(Tensor weight, Tensor x, Tensor y) {
        Pair p = byWeight.get(weight.name());
        if (p == null) return y;
        Tensor down = linear(x, p.a);                                   // (B*T, r)
        Tensor up = linear(down, p.b);                                  // (B*T, out)
        return Elementwise.add(y, Elementwise.scale(up, settings.scale()));
    }

    /**
     * Makes the adapter the model's linear hook and freezes the model's weights, so backward computes only
     * the adapter's gradient.
     */
    public void attach(LlamaModel model) {
        model.freezeWeights();
        model.setLinearHook(this);
    }

    /** Removes the hook; every weight of the model collects its gradient again. */
    public static void detach(LlamaModel model) {
        model.setLinearHook(null);
        if (model.gradients() != null) model.setTrainableIndices(null);
    }

    /** W += s * B A for every adapted weight of model: the merged model computes what the adapter path does. */
    public void mergeInto(LlamaModel model) {
        Backend be = model.backend();
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            for (Pair p : byWeight.values()) {
                Tensor w = model.parameter(p.weight);
                Tensor delta = Tensor.zeros(be, p.out(), p.in());       // (out, in) = B (out, r) @ A (r, in)
                be.matmul(p.b, false, p.a, false, delta, 1, p.out(), p.in(), settings.rank(), 0, false);
                be.addScaled(w, delta, settings.scale());
            }
        }
    }

    // ---------------------------------------------------------------- files

    /**
     * Writes the adapter as safetensors: "WEIGHT.lora_A" (r, in) and "WEIGHT.lora_B" (out, r) per adapted
     * weight, and rank, alpha and targets in the metadata. Written to a temporary name and renamed.
     */
    public void write(Path file) throws IOException {
        write(file, Map.of());
    }

    /** As {@link #write(Path)}, with more tensors (a method's state) after the adapter's. */
    public void write(Path file, Map<String, SafetensorsFile.Data> extra) throws IOException {
        Map<String, SafetensorsFile.Data> tensors = new LinkedHashMap<>();
        for (Pair p : byWeight.values()) {
            tensors.put(p.a.name(), SafetensorsFile.Data.f32(p.a.shape(), p.a.toArray()));
            tensors.put(p.b.name(), SafetensorsFile.Data.f32(p.b.shape(), p.b.toArray()));
        }
        tensors.putAll(extra);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("lora_rank", Integer.toString(settings.rank()));
        meta.put("lora_alpha", Double.toString(settings.alpha()));
        meta.put("lora_targets", String.join(",", settings.modules()));
        SafetensorsFile.write(file, tensors, meta);
    }

    /**
     * Reads an adapter written by {@link #write} for model. Its metadata must match the expected settings
     * and every tensor must be there with the model's shapes; otherwise one error names the file and field.
     */
    public static LoraAdapter read(Path file, LlamaModel model, LoraSettings expected) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            String found = "rank " + meta.get("lora_rank") + ", alpha " + meta.get("lora_alpha") + ", targets " + meta.get("lora_targets");
            String wanted = "rank " + expected.rank() + ", alpha " + expected.alpha() + ", targets " + String.join(",", expected.modules());
            if (!found.equals(wanted)) throw new IOException(file + ": metadata '" + found + "': expected " + wanted);
            LoraAdapter adapter = new LoraAdapter(model, expected);
            float[] values = new float[adapter.params.size()];
            for (Pair p : adapter.byWeight.values()) {
                for (Tensor t : new Tensor[] {p.a, p.b}) {
                    SafetensorsFile.Entry e = f.tensor(t.name());
                    if (!java.util.Arrays.equals(e.shape(), t.shape())) {
                        throw new IOException(file + ": tensor '" + t.name() + "' shape " + java.util.Arrays.toString(e.shape())
                                + ": expected " + java.util.Arrays.toString(t.shape()));
                    }
                    f.readFloats(t.name(), 0, t.size(), values, Math.toIntExact(t.offset()));
                }
            }
            adapter.params.copyFrom(values);
            return adapter;
        }
    }
}
