package io.piece4j.nn;

import io.piece4j.nn.format.HuggingFaceConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The shape of a Llama-family model: everything needed to lay out its parameters and run it.
 *
 * @param dim            model width (Hugging Face hidden_size)
 * @param layers         number of transformer blocks
 * @param heads          query heads
 * @param kvHeads        key/value heads (grouped-query attention); divides heads
 * @param headDim        width of one head; usually dim / heads, but Hugging Face's head_dim may override it
 * @param hiddenDim      SwiGLU inner width (intermediate_size)
 * @param vocabSize      number of token ids
 * @param maxSeqLen      longest sequence the RoPE table is built for
 * @param normEps        RMSNorm epsilon
 * @param ropeTheta      RoPE base frequency
 * @param tiedEmbeddings the output head reuses tok_embeddings
 * @param ropeLayout     which dimensions of a head RoPE rotates together, i.e. how wq and wk rows are ordered
 * @param ropeScaling    Llama 3.1 long-context frequency scaling, or null
 */
public record LlamaConfig(int dim, int layers, int heads, int kvHeads, int headDim, int hiddenDim, int vocabSize,
                          int maxSeqLen, float normEps, float ropeTheta, boolean tiedEmbeddings,
                          RopeLayout ropeLayout, RopeScaling ropeScaling) {

    /** Which pairs of a head's dimensions RoPE rotates together. */
    public enum RopeLayout {
        /** Pairs (2i, 2i+1): Meta's original weights, llama2.c and GGUF. */
        INTERLEAVED,
        /** Pairs (i, i + headDim/2): Hugging Face transformers' rotate_half. */
        HALF_SPLIT
    }

    /**
     * The "llama3" rope_type of Llama 3.1/3.2: wavelengths longer than originalMaxPositionEmbeddings / lowFreqFactor
     * are stretched by factor, those shorter than originalMaxPositionEmbeddings / highFreqFactor are kept, and the
     * band between is interpolated.
     */
    public record RopeScaling(float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositionEmbeddings) {
        public RopeScaling {
            requireFinitePositive("ropeScaling.factor", factor);
            requireFinitePositive("ropeScaling.lowFreqFactor", lowFreqFactor);
            requireFinitePositive("ropeScaling.highFreqFactor", highFreqFactor);
            if (!(highFreqFactor > lowFreqFactor)) {
                throw new IllegalArgumentException("ropeScaling.highFreqFactor = " + highFreqFactor
                        + ": expected greater than ropeScaling.lowFreqFactor = " + lowFreqFactor);
            }
            requirePositive("ropeScaling.originalMaxPositionEmbeddings", originalMaxPositionEmbeddings);
        }

        /**
         * How much of a rotary frequency (radians per position) is kept: 1 when its wavelength 2 pi / frequency is
         * shorter than originalMaxPositionEmbeddings / highFreqFactor, 0 when longer than
         * originalMaxPositionEmbeddings / lowFreqFactor, and in between s = (original / wavelength - low) / (high - low).
         * The one place the bands are decided; {@link #scale} and {@link #divisor} follow from it.
         */
        private double kept(double frequency) {
            double wavelength = 2 * Math.PI / frequency;
            if (wavelength < originalMaxPositionEmbeddings / (double) highFreqFactor) return 1;
            if (wavelength > originalMaxPositionEmbeddings / (double) lowFreqFactor) return 0;
            return (originalMaxPositionEmbeddings / wavelength - lowFreqFactor) / ((double) highFreqFactor - lowFreqFactor);
        }

        /** The frequency Llama 3 rotates by instead: (1 - s) * frequency / factor + s * frequency (as transformers computes it). */
        public double scale(double frequency) {
            double s = kept(frequency);
            return (1 - s) * frequency / factor + s * frequency;
        }

        /** frequency / scale(frequency) = 1 / ((1 - s) / factor + s): what llama.cpp stores per frequency in rope_freqs.weight. */
        public double divisor(double frequency) {
            double s = kept(frequency);
            return 1 / ((1 - s) / factor + s);
        }
    }

    /** One parameter tensor: canonical name and row-major shape, matrices (out, in) as torch.nn.Linear stores them. */
    public record ParamSpec(String name, int[] shape) {
        public ParamSpec {
            shape = shape.clone();
        }

        @Override public int[] shape() { return shape.clone(); }

        public long numel() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        @Override public boolean equals(Object o) {
            return o instanceof ParamSpec p && p.name.equals(name) && Arrays.equals(p.shape, shape);
        }

        @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

        @Override public String toString() { return name + Arrays.toString(shape); }
    }

    /** The most layers whose 9 parameters per layer still fit one list. */
    public static final int MAX_LAYERS = (Integer.MAX_VALUE - 3) / 9;

    public LlamaConfig {
        requirePositive("dim", dim);
        requirePositive("layers", layers);
        requirePositive("heads", heads);
        requirePositive("kvHeads", kvHeads);
        requirePositive("headDim", headDim);
        requirePositive("hiddenDim", hiddenDim);
        requirePositive("vocabSize", vocabSize);
        requirePositive("maxSeqLen", maxSeqLen);
        if (layers > MAX_LAYERS) {
            throw new IllegalArgumentException("layers = " + layers + ": expected at most " + MAX_LAYERS
                    + " (so that the parameter list fits a Java list)");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("kvHeads = " + kvHeads + ": expected a divisor of heads = " + heads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("headDim = " + headDim + ": expected an even number (RoPE rotates pairs)");
        }
        if ((long) heads * headDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("heads * headDim = " + heads + " * " + headDim + ": expected at most " + Integer.MAX_VALUE);
        }
        requireFinitePositive("normEps", normEps);
        requireFinitePositive("ropeTheta", ropeTheta);
        if (ropeLayout == null) throw new IllegalArgumentException("ropeLayout: expected INTERLEAVED or HALF_SPLIT, got null");
        try {
            countParameters(dim, layers, heads * headDim, kvHeads * headDim, hiddenDim, vocabSize, tiedEmbeddings);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("parameter count overflows a long: dim = " + dim + ", layers = " + layers
                    + ", hiddenDim = " + hiddenDim + ", vocabSize = " + vocabSize);
        }
    }

    /** Reads a Hugging Face LlamaForCausalLM config.json; the weights it describes are in the HALF_SPLIT layout. */
    public static LlamaConfig fromHuggingFaceConfigJson(Path configJson) throws IOException {
        return HuggingFaceConfig.read(configJson);
    }

    /** Width of all query heads together: rows of wq. */
    public int qDim() { return heads * headDim; }

    /** Width of all key (or value) heads together: rows of wk and wv. */
    public int kvDim() { return kvHeads * headDim; }

    /** The same model with its wq and wk rows described as being in another layout. */
    public LlamaConfig withRopeLayout(RopeLayout layout) {
        return new LlamaConfig(dim, layers, heads, kvHeads, headDim, hiddenDim, vocabSize, maxSeqLen, normEps,
                ropeTheta, tiedEmbeddings, layout, ropeScaling);
    }

    /** Total number of parameters, the output head counted only when untied. */
    public long parameterCount() {
        return countParameters(dim, layers, qDim(), kvDim(), hiddenDim, vocabSize, tiedEmbeddings);
    }

    /**
     * Every parameter in canonical order: tok_embeddings; per layer i: layers.i.attn_norm, layers.i.attn.wq, .wk,
     * .wv, .wo, layers.i.mlp_norm, layers.i.mlp.w_gate, .w_up, .w_down; norm; output (only when untied).
     */
    public List<ParamSpec> parameterSpecs() {
        List<ParamSpec> specs = new ArrayList<>(3 + 9 * layers);
        specs.add(new ParamSpec("tok_embeddings", new int[] {vocabSize, dim}));
        for (int i = 0; i < layers; i++) {
            String p = "layers." + i + ".";
            specs.add(new ParamSpec(p + "attn_norm", new int[] {dim}));
            specs.add(new ParamSpec(p + "attn.wq", new int[] {qDim(), dim}));
            specs.add(new ParamSpec(p + "attn.wk", new int[] {kvDim(), dim}));
            specs.add(new ParamSpec(p + "attn.wv", new int[] {kvDim(), dim}));
            specs.add(new ParamSpec(p + "attn.wo", new int[] {dim, qDim()}));
            specs.add(new ParamSpec(p + "mlp_norm", new int[] {dim}));
            specs.add(new ParamSpec(p + "mlp.w_gate", new int[] {hiddenDim, dim}));
            specs.add(new ParamSpec(p + "mlp.w_up", new int[] {hiddenDim, dim}));
            specs.add(new ParamSpec(p + "mlp.w_down", new int[] {dim, hiddenDim}));
        }
        specs.add(new ParamSpec("norm", new int[] {dim}));
        if (!tiedEmbeddings) specs.add(new ParamSpec("output", new int[] {vocabSize, dim}));
        return Collections.unmodifiableList(specs);
    }

    private static long countParameters(long dim, long layers, long qDim, long kvDim, long hidden, long vocab, boolean tied) {
        long perLayer = Math.addExact(2 * dim, Math.multiplyExact(dim, 2 * qDim + 2 * kvDim + 3 * hidden));
        long embeddings = Math.multiplyExact(vocab, dim);
        long total = Math.addExact(Math.addExact(embeddings, Math.multiplyExact(layers, perLayer)), dim);
        return tied ? total : Math.addExact(total, embeddings);
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) throw new IllegalArgumentException(field + " = " + value + ": expected a positive number");
    }

    private static void requireFinitePositive(String field, float value) {
        if (!(value > 0) || !Float.isFinite(value)) {
            throw new IllegalArgumentException(field + " = " + value + ": expected a finite positive number");
        }
    }
}
