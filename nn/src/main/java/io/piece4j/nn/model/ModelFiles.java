package io.piece4j.nn.model;

import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.format.CheckpointFormatException;
import io.piece4j.nn.format.CheckpointTensor;
import io.piece4j.nn.format.ElementType;
import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.format.GgufKeyValue;
import io.piece4j.nn.format.GgufTokenizer;
import io.piece4j.nn.format.GgufVocabulary;
import io.piece4j.nn.format.GgufWriter;
import io.piece4j.nn.format.Llama2cWriter;
import io.piece4j.nn.format.NamedTensor;
import io.piece4j.nn.format.SafetensorsFile;
import io.piece4j.nn.format.SafetensorsWriter;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Loads a model file of any supported format into a {@link LlamaModel} on a backend. */
public final class ModelFiles {
    private ModelFiles() {}

    public static LlamaModel load(Path path, Backend backend) throws IOException {
        try (Checkpoint c = Checkpoint.open(path)) {
            return fromCheckpoint(c, backend);
        }
    }

    /**
     * Copies every tensor of the checkpoint into the model's flat buffer, in chunks (the file stays
     * memory-mapped; nothing of the model's size is allocated on the heap besides the backend's storage).
     * The model keeps the file's RoPE layout, so no rows are permuted.
     */
    public static LlamaModel fromCheckpoint(Checkpoint c, Backend backend) throws IOException {
        LlamaModel model = new LlamaModel(c.config(), backend);
        Tensor params = model.parameters();
        float[] chunk = new float[1 << 16];
        for (ParameterLayout.Entry e : model.layout().entries()) {
            CheckpointTensor t = c.tensor(e.name());
            if (!Arrays.equals(t.shape(), e.shape())) {
                throw new CheckpointFormatException(c.path() + ": tensor '" + e.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", expected " + Arrays.toString(e.shape()) + " from the config");
            }
            for (long done = 0; done < e.numel(); ) {
                int n = (int) Math.min(chunk.length, e.numel() - done);
                t.readRange(done, n, chunk, 0);
                backend.write(params.storage(), params.offset() + e.offset() + done, chunk, 0, n);
                done += n;
            }
        }
        return model;
    }

    /** The formats a model can be written in. */
    public enum Format { SAFETENSORS, GGUF, LLAMA2C }

    /** The format a file name implies: .safetensors, .gguf, .bin; or a folder (safetensors + config.json). */
    public static Format formatOf(Path out) {
        String n = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".safetensors")) return Format.SAFETENSORS;
        if (n.endsWith(".gguf")) return Format.GGUF;
        if (n.endsWith(".bin")) return Format.LLAMA2C;
        throw new IllegalArgumentException(out + ": cannot tell the format from the name (expected .safetensors, .gguf or .bin, or give --to)");
    }

    /** Every parameter as a named host array, in the model's own RoPE layout. */
    public static List<NamedTensor> tensors(LlamaModel model) {
        List<NamedTensor> out = new ArrayList<>();
        for (ParameterLayout.Entry e : model.layout().entries()) {
            float[] data = model.parameters().rowsNoGrad((int) e.offset(), (int) e.numel()).toArray();
            out.add(new NamedTensor(e.name(), e.shape(), data));
        }
        return out;
    }

    /**
     * How a model is written besides its format.
     *
     * @param elementType   "f32", "f16", "bf16" (safetensors, GGUF) or "q8_0" (GGUF)
     * @param tokenizer     the tokenizer GGUF embeds, or null
     * @param ggufKeys      more GGUF key-value pairs (those of the file the model came from), written unless the
     *                      writer or the tokenizer defines the key
     * @param llama2cVersion 0 (legacy, what llama2.c's run reads), 1 (float32 with a header) or 2 (int8, runq)
     * @param replaceConfig replace a different config.json beside a safetensors file
     */
    public record SaveOptions(String elementType, GgufTokenizer tokenizer, List<GgufKeyValue> ggufKeys, int llama2cVersion,
                              boolean replaceConfig) {
        public SaveOptions {
            elementType = elementType.toLowerCase(Locale.ROOT);
            ggufKeys = List.copyOf(ggufKeys);
        }

        /** The element type alone: no tokenizer, no extra keys, llama2.c legacy, config.json kept. */
        public static SaveOptions of(String elementType) {
            return new SaveOptions(elementType, null, List.of(), 0, false);
        }

        public SaveOptions withTokenizer(GgufTokenizer t) { return new SaveOptions(elementType, t, ggufKeys, llama2cVersion, replaceConfig); }

        public SaveOptions withGgufKeys(List<GgufKeyValue> keys) { return new SaveOptions(elementType, tokenizer, keys, llama2cVersion, replaceConfig); }

        public SaveOptions withLlama2cVersion(int v) { return new SaveOptions(elementType, tokenizer, ggufKeys, v, replaceConfig); }

        public SaveOptions withReplaceConfig(boolean r) { return new SaveOptions(elementType, tokenizer, ggufKeys, llama2cVersion, r); }
    }

    /** As {@link #save(LlamaModel, Path, Format, SaveOptions)} with an element type and a vocabulary only. */
    public static void save(LlamaModel model, Path out, Format format, String elementType, GgufVocabulary vocabulary) throws IOException {
        save(model, out, format, SaveOptions.of(elementType).withTokenizer(vocabulary == null ? null : new GgufTokenizer(vocabulary, List.of())));
    }

    /**
     * Fails, before any long work, if the model cannot be written as asked: an element type the format does not
     * take, a llama2.c version that does not exist, or (safetensors) a different config.json in the folder.
     */
    public static void checkTarget(LlamaConfig config, Path out, Format format, SaveOptions options) throws IOException {
        switch (format) {
            case SAFETENSORS -> {
                SafetensorsFile.Dtype dtype = safetensorsDtype(options.elementType());
                if (!options.replaceConfig()) SafetensorsWriter.checkConfigTarget(out, config, dtype);
            }
            case GGUF -> {
                ggufType(options.elementType());
                if (options.tokenizer() != null && options.tokenizer().vocabulary().tokens().length != config.vocabSize()) {
                    throw new IllegalArgumentException("the tokenizer has " + options.tokenizer().vocabulary().tokens().length
                            + " tokens: expected the model's vocab_size " + config.vocabSize());
                }
            }
            case LLAMA2C -> llama2cVersion(options);
        }
    }

    /**
     * Writes the model (atomically: temporary file, then rename). q/k rows are permuted when the target format's
     * RoPE layout differs from the model's.
     */
    public static void save(LlamaModel model, Path out, Format format, SaveOptions options) throws IOException {
        checkTarget(model.config(), out, format, options);
        List<NamedTensor> tensors = tensors(model);
        switch (format) {
            case SAFETENSORS -> SafetensorsWriter.write(out, model.config(), tensors, safetensorsDtype(options.elementType()), options.replaceConfig());
            case GGUF -> {
                List<GgufKeyValue> keys = new ArrayList<>();
                if (options.tokenizer() != null) keys.addAll(options.tokenizer().otherKeys());
                keys.addAll(options.ggufKeys());
                GgufWriter.write(out, model.config(), tensors, ggufType(options.elementType()),
                        options.tokenizer() == null ? null : options.tokenizer().vocabulary(), keys);
            }
            case LLAMA2C -> Llama2cWriter.write(out, model.config(), tensors, llama2cVersion(options));
        }
    }

    private static SafetensorsFile.Dtype safetensorsDtype(String type) {
        return switch (type) {
            case "f32" -> SafetensorsFile.Dtype.F32;
            case "f16" -> SafetensorsFile.Dtype.F16;
            case "bf16" -> SafetensorsFile.Dtype.BF16;
            default -> throw new IllegalArgumentException("--type " + type + ": safetensors takes f32, f16 or bf16");
        };
    }

    private static ElementType ggufType(String type) {
        return switch (type) {
            case "f32" -> ElementType.F32;
            case "f16" -> ElementType.F16;
            case "bf16" -> ElementType.BF16;
            case "q8_0" -> ElementType.Q8_0;
            default -> throw new IllegalArgumentException("--type " + type + ": GGUF is written as f32, f16, bf16 or q8_0");
        };
    }

    private static int llama2cVersion(SaveOptions options) {
        int v = options.llama2cVersion();
        if (v < 0 || v > 2) throw new IllegalArgumentException("llama2.c version " + v + ": expected 0 (legacy), 1 or 2 (int8)");
        String expected = v == 2 ? "q8_0" : "f32";
        if (!options.elementType().equals(expected) && !(v == 2 && options.elementType().equals("f32"))) {
            throw new IllegalArgumentException("--type " + options.elementType() + ": llama2.c version " + v + " files are "
                    + (v == 2 ? "int8 (q8_0)" : "f32"));
        }
        return v;
    }
}
