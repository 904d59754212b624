package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a Llama model as a Hugging Face checkpoint: the safetensors file with Hugging Face tensor names (wq and
 * wk in the HALF_SPLIT layout, permuted if the config says the tensors are INTERLEAVED) and config.json in the
 * same folder. A tied model gets no lm_head.weight. Both files are written atomically.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /**
     * @param modelFile usually {@code DIR/model.safetensors}; config.json goes beside it
     * @param config    the model; its ropeLayout is the layout {@code tensors} are in
     * @param tensors   every parameter of the config under its canonical name
     * @param dtype     F32, F16 or BF16 (F16/BF16 round to nearest even)
     */
    public static void write(Path modelFile, LlamaConfig config, List<NamedTensor> tensors, SafetensorsFile.Dtype dtype)
            throws IOException {
        String torchDtype = switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> throw new IllegalArgumentException("dtype " + dtype + ": expected F32, F16 or BF16");
        };
        Map<String, SafetensorsFile.Data> out = new LinkedHashMap<>();
        for (NamedTensor t : ModelTensors.prepare(config, tensors, RopeLayout.HALF_SPLIT)) {
            out.put(TensorNames.toHuggingFace(t.name()), SafetensorsFile.Data.floats(dtype, t.shape(), t.data()));
        }
        // transformers refuses safetensors files whose metadata lacks a framework "format"
        SafetensorsFile.write(modelFile, out, Map.of("format", "pt"));
        HuggingFaceConfig.write(modelFile.toAbsolutePath().resolveSibling("config.json"),
                config.withRopeLayout(RopeLayout.HALF_SPLIT), torchDtype);
    }
}
