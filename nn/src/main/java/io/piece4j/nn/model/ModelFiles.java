package io.piece4j.nn.model;

import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.format.CheckpointFormatException;
import io.piece4j.nn.format.CheckpointTensor;
import io.piece4j.nn.format.ElementType;
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
     * Writes the model (atomically: temporary file, then rename). elementType: "f32", "f16" or "bf16"
     * (bf16 for safetensors only); vocabulary is embedded in GGUF when given. q/k rows are permuted when
     * the target format's RoPE layout differs from the model's.
     */
    public static void save(LlamaModel model, Path out, Format format, String elementType, GgufVocabulary vocabulary) throws IOException {
        List<NamedTensor> tensors = tensors(model);
        String type = elementType.toLowerCase(Locale.ROOT);
        switch (format) {
            case SAFETENSORS -> {
                SafetensorsFile.Dtype dtype = switch (type) {
                    case "f32" -> SafetensorsFile.Dtype.F32;
                    case "f16" -> SafetensorsFile.Dtype.F16;
                    case "bf16" -> SafetensorsFile.Dtype.BF16;
                    default -> throw new IllegalArgumentException("--type " + elementType + ": safetensors takes f32, f16 or bf16");
                };
                SafetensorsWriter.write(out, model.config(), tensors, dtype);
            }
            case GGUF -> {
                ElementType t = switch (type) {
                    case "f32" -> ElementType.F32;
                    case "f16" -> ElementType.F16;
                    default -> throw new IllegalArgumentException("--type " + elementType + ": GGUF is written as f32 or f16");
                };
                GgufWriter.write(out, model.config(), tensors, t, vocabulary);
            }
            case LLAMA2C -> {
                if (!type.equals("f32")) throw new IllegalArgumentException("--type " + elementType + ": llama2.c files are written as f32");
                Llama2cWriter.write(out, model.config(), tensors, 1);
            }
        }
    }
}
