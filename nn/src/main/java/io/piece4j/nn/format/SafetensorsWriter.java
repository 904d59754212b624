package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Llama model as a Hugging Face checkpoint: the safetensors file with Hugging Face tensor names (wq and
 * wk in the HALF_SPLIT layout, permuted if the config says the tensors are INTERLEAVED) and config.json in the
 * same folder. A tied model gets no lm_head.weight. Both files are written atomically. A config.json already in
 * the folder is replaced only if it is byte for byte the one this model gets, or when asked to.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /** As {@link #write(Path, LlamaConfig, List, SafetensorsFile.Dtype, boolean)}, keeping a different config.json. */
    public static void write(Path modelFile, LlamaConfig config, List<NamedTensor> tensors, SafetensorsFile.Dtype dtype)
            throws IOException {
        write(modelFile, config, tensors, dtype, false);
    }

    /**
     * @param modelFile     usually {@code DIR/model.safetensors}; config.json goes beside it
     * @param config        the model; its ropeLayout is the layout {@code tensors} are in
     * @param tensors       every parameter of the config under its canonical name
     * @param dtype         F32, F16 or BF16 (F16/BF16 round to nearest even)
     * @param replaceConfig replace a config.json that differs from this model's; otherwise such a file is an
     *                      error and nothing is written
     */
    public static void write(Path modelFile, LlamaConfig config, List<NamedTensor> tensors, SafetensorsFile.Dtype dtype,
                             boolean replaceConfig) throws IOException {
        String torchDtype = torchDtype(dtype);
        if (!replaceConfig) checkConfigTarget(modelFile, config, dtype);
        Map<String, SafetensorsFile.Data> out = new LinkedHashMap<>();
        for (NamedTensor t : ModelTensors.prepare(config, tensors, RopeLayout.HALF_SPLIT)) {
            out.put(TensorNames.toHuggingFace(t.name()), SafetensorsFile.Data.floats(dtype, t.shape(), t.data()));
        }
        // transformers refuses safetensors files whose metadata lacks a framework "format"
        SafetensorsFile.write(modelFile, out, Map.of("format", "pt"));
        HuggingFaceConfig.write(configFile(modelFile), config.withRopeLayout(RopeLayout.HALF_SPLIT), torchDtype);
    }

    /**
     * Fails if the folder of modelFile holds a config.json other than the one this model would get, so that a
     * conversion or a training run does not silently replace another model's config (callers check before long
     * work, and {@link #write} checks again).
     */
    public static void checkConfigTarget(Path modelFile, LlamaConfig config, SafetensorsFile.Dtype dtype) throws IOException {
        Path configJson = configFile(modelFile);
        if (!Files.exists(configJson)) return;
        byte[] wanted = HuggingFaceConfig.json(config.withRopeLayout(RopeLayout.HALF_SPLIT), torchDtype(dtype));
        if (!Arrays.equals(Files.readAllBytes(configJson), wanted)) {
            throw new FileAlreadyExistsException(configJson.toString(), null, "exists and is not this model's config.json"
                    + " (dim " + config.dim() + ", " + config.layers() + " layers, vocab " + config.vocabSize() + ", " + torchDtype(dtype)
                    + "): refusing to replace it; write into another folder or give --force");
        }
    }

    private static Path configFile(Path modelFile) {
        return modelFile.toAbsolutePath().resolveSibling("config.json");
    }

    private static String torchDtype(SafetensorsFile.Dtype dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new IllegalArgumentException("dtype " + dtype + ": expected F32, F16 or BF16");
        };
    }
}
