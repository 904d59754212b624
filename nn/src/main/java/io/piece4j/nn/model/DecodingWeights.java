package io.piece4j.nn.model;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.format.CheckpointTensor;
import io.piece4j.nn.format.ElementType;
import io.piece4j.tensor.spi.Bf16Matrix;
import io.piece4j.tensor.spi.F32Matrix;
import io.piece4j.tensor.spi.PackedMatrix;
import io.piece4j.tensor.spi.Q8Matrix;

import java.util.ArrayList;
import java.util.List;

/**
 * The weights of a Llama model as decoding reads them, beside {@link LlamaModel}'s flat float32 buffer (which
 * training needs and this does not): every matrix (attention, MLP, output head, and the embedding table, whose rows
 * are widened one token at a time) held as float32, bfloat16 or Q8_0 ({@link PackedMatrix}); the norm gains stay
 * float32. With a tied head the embedding table is the head, held once.
 *
 * <p>From a checkpoint, a tensor the file already stores in the asked type (GGUF BF16 for bf16, Q8_0 for q8) is
 * taken as it is; any other is converted a row at a time, so nothing of a matrix's size exists in float32 on the way.
 */
public final class DecodingWeights {
    /**
     * One block's weights: matrices (out, in), norm gains (C). wq, wk and wv are held as the rows of one matrix
     * wqkv (H*D + 2 KV*D, C), and w_gate and w_up as wGateUp (2 hidden, C): a token's projections are then one
     * product each, and a product's start and end cost time in which the memory system reads nothing.
     */
    public record Layer(float[] attnNorm, PackedMatrix wqkv, PackedMatrix wo, float[] mlpNorm, PackedMatrix wGateUp,
                        PackedMatrix wDown) {}

    private final LlamaConfig config;
    private final DecodingPrecision precision;
    private final PackedMatrix embeddings; // (V, C)
    private final PackedMatrix output;     // (V, C); the embeddings themselves when tied
    private final float[] finalNorm;       // (C)
    private final List<Layer> layers;

    private DecodingWeights(LlamaConfig config, DecodingPrecision precision, PackedMatrix embeddings, PackedMatrix output,
                            float[] finalNorm, List<Layer> layers) {
        this.config = config;
        this.precision = precision;
        this.embeddings = embeddings;
        this.output = output;
        this.finalNorm = finalNorm;
        this.layers = List.copyOf(layers);
    }

    public LlamaConfig config() { return config; }
    public DecodingPrecision precision() { return precision; }
    public PackedMatrix embeddings() { return embeddings; }
    public PackedMatrix output() { return output; }
    public float[] finalNorm() { return finalNorm; }
    public List<Layer> layers() { return layers; }

    /** Bytes held: every matrix (values and scales) and every norm gain; a tied head counted once. */
    public long byteSize() {
        long n = embeddings.byteSize() + (output == embeddings ? 0 : output.byteSize()) + 4L * finalNorm.length;
        for (Layer l : layers) {
            n += 4L * (l.attnNorm.length + l.mlpNorm.length);
            for (PackedMatrix m : List.of(l.wqkv, l.wo, l.wGateUp, l.wDown)) n += m.byteSize();
        }
        return n;
    }

    /** The weights of a model in memory, converted from its flat float32 buffer. */
    public static DecodingWeights of(LlamaModel model, DecodingPrecision precision) {
        return build(model.config(), precision, "the model", (name, rows, cols) -> {
            ParameterLayout.Entry e = model.layout().get(name);
            float[] values = model.parameters().rowsNoGrad(Math.toIntExact(e.offset()), Math.toIntExact(e.numel())).toArray();
            return pack(values, rows, cols, precision);
        }, name -> model.parameter(name).toArray());
    }

    /**
     * The weights of a checkpoint: tensors stored in the asked type are taken without conversion, the others are
     * converted row by row. The checkpoint may be closed afterwards.
     */
    public static DecodingWeights of(Checkpoint checkpoint, DecodingPrecision precision) {
        return build(checkpoint.config(), precision, checkpoint.path().toString(),
                (name, rows, cols) -> packRows(checkpoint.tensor(name), rows, cols, precision),
                name -> checkpoint.tensor(name).toFloatArray());
    }

    private interface MatrixSource { PackedMatrix read(String name, int rows, int cols); }

    private interface VectorSource { float[] read(String name); }

    private static DecodingWeights build(LlamaConfig c, DecodingPrecision precision, String source, MatrixSource matrices,
                                         VectorSource vectors) {
        if (precision == DecodingPrecision.Q8) { // every matrix's rows are dim, heads * head_dim or hidden_dim long
            String[] names = {"dim", "heads * head_dim", "hidden_dim"};
            int[] widths = {c.dim(), c.heads() * c.headDim(), c.hiddenDim()};
            for (int i = 0; i < widths.length; i++) {
                if (widths[i] % Q8Matrix.BLOCK != 0) {
                    throw new IllegalArgumentException(source + ": " + names[i] + " = " + widths[i] + ": --weights q8 expected a multiple of "
                            + Q8Matrix.BLOCK + " (Q8_0 blocks along every matrix row); bf16 and f32 take any size");
                }
            }
        }
        int dim = c.dim(), qDim = c.heads() * c.headDim(), kvDim = c.kvDim(), hidden = c.hiddenDim();
        PackedMatrix emb = matrices.read("tok_embeddings", c.vocabSize(), dim);
        PackedMatrix out = c.tiedEmbeddings() ? emb : matrices.read("output", c.vocabSize(), dim);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            String p = "layers." + i + ".";
            PackedMatrix wqkv = PackedMatrix.stackRows(matrices.read(p + "attn.wq", qDim, dim), matrices.read(p + "attn.wk", kvDim, dim),
                    matrices.read(p + "attn.wv", kvDim, dim));
            PackedMatrix wGateUp = PackedMatrix.stackRows(matrices.read(p + "mlp.w_gate", hidden, dim), matrices.read(p + "mlp.w_up", hidden, dim));
            layers.add(new Layer(vectors.read(p + "attn_norm"), wqkv, matrices.read(p + "attn.wo", dim, qDim), vectors.read(p + "mlp_norm"),
                    wGateUp, matrices.read(p + "mlp.w_down", dim, hidden)));
        }
        return new DecodingWeights(c, precision, emb, out, vectors.read("norm"), layers);
    }

    /** values (rows, cols) in the asked type. */
    static PackedMatrix pack(float[] values, int rows, int cols, DecodingPrecision precision) {
        return switch (precision) {
            case F32 -> new F32Matrix(values, rows, cols);
            case BF16 -> Bf16Matrix.rounded(values, rows, cols);
            case Q8 -> Q8Matrix.quantize(values, rows, cols);
        };
    }

    /** A checkpoint tensor (rows, cols) in the asked type: as stored when it is stored so, else a row at a time. */
    private static PackedMatrix packRows(CheckpointTensor t, int rows, int cols, DecodingPrecision precision) {
        int n = Math.multiplyExact(rows, cols);
        switch (precision) {
            case F32 -> {
                float[] v = new float[n];
                t.readInto(v, 0);
                return new F32Matrix(v, rows, cols);
            }
            case BF16 -> {
                short[] bits = new short[n];
                if (t.storedAs(ElementType.BF16)) {
                    t.readBf16Bits(bits);
                } else {
                    float[] row = new float[cols];
                    for (int r = 0; r < rows; r++) {
                        t.readRange((long) r * cols, cols, row, 0);
                        for (int j = 0; j < cols; j++) bits[r * cols + j] = Bf16Matrix.toBf16(row[j]);
                    }
                }
                return new Bf16Matrix(bits, rows, cols);
            }
            case Q8 -> {
                byte[] q = new byte[n];
                float[] d = new float[n / Q8Matrix.BLOCK];
                if (t.storedAs(ElementType.Q8_0)) {
                    t.readQ8_0(q, d);
                } else {
                    float[] row = new float[cols];
                    for (int r = 0; r < rows; r++) {
                        t.readRange((long) r * cols, cols, row, 0);
                        for (int b = 0; b < cols / Q8Matrix.BLOCK; b++) {
                            d[(r * cols) / Q8Matrix.BLOCK + b] = Q8Matrix.quantizeBlock(row, b * Q8Matrix.BLOCK, q, r * cols + b * Q8Matrix.BLOCK);
                        }
                    }
                }
                return new Q8Matrix(q, d, rows, cols);
            }
        }
        throw new AssertionError(precision);
    }
}
