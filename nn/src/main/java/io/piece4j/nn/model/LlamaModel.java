package io.piece4j.nn.model;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.Attention;
import io.piece4j.tensor.ops.CrossEntropy;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.ops.Embedding;
import io.piece4j.tensor.ops.RmsNorm;
import io.piece4j.tensor.ops.Rope;
import io.piece4j.tensor.ops.SampledLinear;
import io.piece4j.tensor.ops.RopeTable;
import io.piece4j.tensor.ops.SwiGlu;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.RopeLayout;
import io.piece4j.tensor.spi.Storage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.piece4j.tensor.ops.MatMul.linear;

/**
 * A Llama-family transformer: token embedding, N blocks of (RMSNorm, attention with RoPE and grouped
 * KV heads, residual, RMSNorm, SwiGLU MLP, residual), final RMSNorm, output head tied or untied.
 *
 * <p>All parameters live in one flat buffer ({@link #parameters()}, layout in {@link ParameterLayout});
 * each named weight is a view into it, and its gradient a view into one flat gradient buffer of the same
 * layout. The training forward is {@link #forward}; decoding with a KV cache is {@link KvCache}.
 */
public final class LlamaModel {
    private final LlamaConfig config;
    private final Backend backend;
    private final ParameterLayout layout;
    private final Tensor params;      // (P) the one flat parameter buffer
    private Tensor grads;             // (P) same layout, allocated by enableGradients()
    private final RopeTable rope;
    private final RopeLayout ropeLayout;

    private Map<String, int[]> sampledWeightGrads; // weight name -> local indices, when training under a fixed mask
    private CompactGradients compactGrads;         // when training under a fixed mask with gradients only at the mask
    private boolean gradsInFlatBuffer;             // every weight's gradient is its view of grads
    private LinearHook linearHook;                 // null = plain linear layers (the default)
    private final Tensor tokEmbeddings, norm, output; // (V, C), (C), (V, C) or the embeddings when tied
    private final List<Block> blocks = new ArrayList<>();

    /** The weights of one block, all views into the flat buffer. */
    record Block(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                 Tensor mlpNorm, Tensor wGate, Tensor wUp, Tensor wDown) {}

    /** A model with all parameters zero (load or initialise them next). */
    public LlamaModel(LlamaConfig config, Backend backend) {
        this.config = config;
        this.backend = backend;
        this.layout = new ParameterLayout(config);
        this.params = Tensor.zeros(backend, Math.toIntExact(layout.size())).named("params");
        this.tokEmbeddings = view("tok_embeddings");
        for (int i = 0; i < config.layers(); i++) {
            String p = "layers." + i + ".";
            blocks.add(new Block(view(p + "attn_norm"), view(p + "attn.wq"), view(p + "attn.wk"), view(p + "attn.wv"),
                    view(p + "attn.wo"), view(p + "mlp_norm"), view(p + "mlp.w_gate"), view(p + "mlp.w_up"), view(p + "mlp.w_down")));
        }
        this.norm = view("norm");
        this.output = config.tiedEmbeddings() ? tokEmbeddings : view("output");
        this.ropeLayout = RopeLayout.valueOf(config.ropeLayout().name());
        this.rope = RopeTable.of(backend, config.maxSeqLen(), RopeFrequencies.of(config));
    }

    private Tensor view(String name) {
        ParameterLayout.Entry e = layout.get(name);
        return Tensor.view(params.storage(), e.offset(), e.shape()).named(name);
    }

    // ---------------------------------------------------------------- facts

    public LlamaConfig config() { return config; }
    public Backend backend() { return backend; }
    public ParameterLayout layout() { return layout; }
    /** The flat parameter buffer (P). */
    public Tensor parameters() { return params; }
    /** The flat gradient buffer (P), or null before {@link #enableGradients()}. */
    public Tensor gradients() { return grads; }
    public RopeLayout ropeLayout() { return ropeLayout; }
    RopeTable ropeTable() { return rope; }
    List<Block> blocks() { return blocks; }
    Tensor tokEmbeddings() { return tokEmbeddings; }
    Tensor finalNorm() { return norm; }
    Tensor outputHead() { return output; }

    /** A parameter by name, as a view of the flat buffer (no autograd link). */
    public Tensor parameter(String name) { return view(name); }

    /** Every named weight (in layout order) as the views the forward uses. */
    public List<Tensor> namedWeights() {
        List<Tensor> all = new ArrayList<>();
        all.add(tokEmbeddings);
        for (Block b : blocks) all.addAll(List.of(b.attnNorm, b.wq, b.wk, b.wv, b.wo, b.mlpNorm, b.wGate, b.wUp, b.wDown));
        all.add(norm);
        if (!config.tiedEmbeddings()) all.add(output);
        return all;
    }

    /**
     * Allocates the flat gradient buffer and makes every weight a leaf whose gradient is its view into it,
     * so a backward pass fills the buffer in the parameter layout. Idempotent.
     */
    public Tensor enableGradients() {
        compactGrads = null;
        if (grads == null) grads = Tensor.zeros(backend, Math.toIntExact(layout.size())).named("grads");
        if (!gradsInFlatBuffer) bindFlatGradients(); // first use, or after trainCompact gave norm weights gradients of their own
        return grads;
    }

    /** Every weight a leaf that collects its gradient in its view of the flat gradient buffer. */
    private void bindFlatGradients() {
        Storage gs = grads.storage();
        for (Tensor w : namedWeights()) {
            ParameterLayout.Entry e = layout.get(w.name());
            w.requireGrad();
            w.setGrad(Tensor.view(gs, e.offset(), e.shape()));
        }
        gradsInFlatBuffer = true;
    }

    /** Fills the parameters with N(0, std^2) weights and unit norm weights, drawn in layout order from seed. */
    public void initRandom(long seed, float std) {
        Rng rng = new Rng(seed);
        float[] chunk = new float[1 << 16]; // written a chunk at a time: no second copy of a large model on the heap
        for (ParameterLayout.Entry e : layout.entries()) {
            boolean isNorm = e.shape().length == 1;
            for (long done = 0; done < e.numel(); ) {
                int n = (int) Math.min(chunk.length, e.numel() - done);
                for (int i = 0; i < n; i++) chunk[i] = isNorm ? 1f : (float) (rng.nextGaussian() * std);
                backend.write(params.storage(), params.offset() + e.offset() + done, chunk, 0, n);
                done += n;
            }
        }
    }

    // ---------------------------------------------------------------- training forward

    /**
     * tokens (batch * seq, row-major) -> logits (batch * seq, vocab), recording the tape when gradients are
     * enabled. Reads top to bottom like the architecture.
     */
    public Tensor forward(int[] tokens, int batch, int seq) {
        if (tokens.length != batch * seq) throw new IllegalArgumentException(tokens.length + " tokens for batch " + batch + " x seq " + seq);
        if (seq > config.maxSeqLen()) throw new IllegalArgumentException("sequence of " + seq + " exceeds max_seq_len " + config.maxSeqLen());
        int h = config.heads(), kv = config.kvHeads(), hd = config.headDim(), c = config.dim();
        float eps = config.normEps();
        Tensor x = Embedding.lookup(tokEmbeddings, tokens);                                       // (B*T, C)
        for (Block b : blocks) {
            Tensor n = RmsNorm.rmsnorm(x, b.attnNorm, eps);                                       // (B*T, C)
            Tensor q = Rope.rope(lin(n, b.wq).reshape(batch, seq, h, hd), rope, 0, ropeLayout);  // (B, T, H, D)
            Tensor k = Rope.rope(lin(n, b.wk).reshape(batch, seq, kv, hd), rope, 0, ropeLayout); // (B, T, KV, D)
            Tensor v = lin(n, b.wv).reshape(batch, seq, kv, hd);                               // (B, T, KV, D)
            Tensor att = Attention.causal(q, k, v).reshape(batch * seq, h * hd);                  // (B*T, H*D)
            x = Elementwise.add(x, lin(att, b.wo));                                            // (B*T, C)
            Tensor m = RmsNorm.rmsnorm(x, b.mlpNorm, eps);                                        // (B*T, C)
            Tensor gated = SwiGlu.swiglu(lin(m, b.wGate), lin(m, b.wUp));                  // (B*T, hidden)
            x = Elementwise.add(x, lin(gated, b.wDown));                                       // (B*T, C)
        }
        assert x.dim(1) == c;
        return lin(RmsNorm.rmsnorm(x, norm, eps), output);                                     // (B*T, V)
    }

    /**
     * x W^T, with W's gradient only at its trainable coordinates when a fixed mask is set, passed through
     * the linear hook when one is set.
     */
    private Tensor lin(Tensor x, Tensor w) {
        Tensor y;
        CompactGradients.Slice slice = compactGrads == null ? null : compactGrads.sampledSlice(w.name());
        if (slice != null) {
            y = SampledLinear.linear(x, w, slice.localIdx(), slice.values());
        } else {
            int[] sampled = sampledWeightGrads == null ? null : sampledWeightGrads.get(w.name());
            y = sampled == null ? linear(x, w) : SampledLinear.linear(x, w, sampled);
        }
        return linearHook == null ? y : linearHook.apply(w, x, y);
    }

    /**
     * Routes every linear layer of the training forward through hook from now on (LoRA adapters add their
     * path, MIGU reads the outputs); null removes it. Without a hook the forward is unchanged.
     */
    public void setLinearHook(LinearHook hook) { this.linearHook = hook; }

    /** The hook set by {@link #setLinearHook}, or null. */
    public LinearHook linearHook() { return linearHook; }

    /**
     * Trains only the given flat indices (ascending) from now on: weights with no trainable entry get no
     * gradient at all, so backward stops below the lowest layer that holds one; matrices compute their
     * gradient only at the trainable (row, column) pairs; norm weights (small) keep their dense gradient.
     * Entries of the flat gradient buffer outside the mask are then meaningless.
     * null restores dense gradients for every weight.
     */
    public void setTrainableIndices(int[] flatIndices) {
        enableGradients(); // also ends compact gradients
        if (flatIndices == null) {
            sampledWeightGrads = null;
            for (Tensor w : namedWeights()) w.requireGrad(true);
            return;
        }
        Map<String, int[]> local = new HashMap<>();
        int i = 0;
        for (Tensor w : namedWeights()) {
            ParameterLayout.Entry e = layout.get(w.name());
            int from = i;
            while (i < flatIndices.length && flatIndices[i] < e.offset() + e.numel()) {
                if (flatIndices[i] < e.offset()) throw new IllegalArgumentException("flat indices must be ascending");
                i++;
            }
            int[] idx = new int[i - from];
            for (int j = from; j < i; j++) idx[j - from] = (int) (flatIndices[j] - e.offset());
            w.requireGrad(idx.length > 0);
            if (idx.length > 0 && e.shape().length == 2 && w != tokEmbeddings) local.put(w.name(), idx);
        }
        if (i != flatIndices.length) throw new IllegalArgumentException("flat index " + flatIndices[i] + " is outside the model");
        sampledWeightGrads = local;
    }

    /**
     * Trains only the given flat indices (ascending) from now on, with their gradients kept compact: the returned
     * buffer holds the k gradients and nothing the size of the model is allocated (no flat gradient buffer; under
     * a mask the dense gradient and AdamW's moments would be three more copies of the weights). Matrices compute
     * their gradient only at their masked (row, column) pairs, straight into it; norm weights (and the embeddings,
     * should the mask hold any of theirs) compute a small dense gradient whose masked entries
     * {@link CompactGradients#collect()} gathers; weights with no masked entry get none, so backward stops below
     * the lowest layer that holds one. {@link #setTrainableIndices} or {@link #enableGradients} ends it.
     */
    public CompactGradients trainCompact(int[] flatIndices) {
        sampledWeightGrads = null;
        CompactGradients cg = new CompactGradients(backend, flatIndices);
        int i = 0;
        for (Tensor w : namedWeights()) {
            ParameterLayout.Entry e = layout.get(w.name());
            int from = i;
            while (i < flatIndices.length && flatIndices[i] < e.offset() + e.numel()) {
                if (flatIndices[i] < e.offset() || (i > from && flatIndices[i] <= flatIndices[i - 1])) {
                    throw new IllegalArgumentException("flat indices must be ascending and distinct");
                }
                i++;
            }
            int[] idx = new int[i - from];
            for (int j = from; j < i; j++) idx[j - from] = (int) (flatIndices[j] - e.offset());
            w.requireGrad(idx.length > 0);
            if (idx.length == 0) continue;
            if (e.shape().length == 2 && w != tokEmbeddings) cg.addSampled(w.name(), idx, from);
            else cg.addDense(w, idx, from);
        }
        if (i != flatIndices.length) throw new IllegalArgumentException("flat index " + flatIndices[i] + " is outside the model");
        compactGrads = cg;
        gradsInFlatBuffer = false;
        return cg;
    }

    /**
     * No weight collects a gradient until the next {@link #setTrainableIndices}: for methods that train
     * parameters of their own beside the model (LoRA adapters). Allocates nothing; backward then reaches
     * only what the linear hook adds.
     */
    public void freezeWeights() {
        sampledWeightGrads = null;
        compactGrads = null; // the weights' gradient tensors stay; enableGradients rebinds them if needed
        for (Tensor w : namedWeights()) w.requireGrad(false);
    }

    /**
     * Stops the gradient of the input embeddings (and so of a tied output head) until the next
     * {@link #setTrainableIndices}; PIECE never selects them.
     */
    public void freezeEmbeddings() {
        enableGradients();
        tokEmbeddings.requireGrad(false);
    }

    /** Mean cross-entropy over positions whose target is not negative. */
    public Tensor loss(int[] tokens, int[] targets, int batch, int seq) {
        return CrossEntropy.mean(forward(tokens, batch, seq), targets);
    }
}
