package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face Llama checkpoint: model.safetensors, or shards listed by model.safetensors.index.json,
 * with config.json in the same folder. Tensors keep their stored type (F32, F16 or BF16) until read; wq and wk
 * stay in the HALF_SPLIT layout the file has.
 */
public final class SafetensorsReader {
    private static final long MAX_INDEX_BYTES = 64 << 20;

    private SafetensorsReader() {}

    /** {@code path}: a folder, a .safetensors file or a .safetensors.index.json file. */
    public static Checkpoint read(Path path) throws IOException {
        Path dir;
        Path single = null, index = null;
        if (Files.isDirectory(path)) {
            dir = path;
            if (Files.isRegularFile(dir.resolve("model.safetensors.index.json"))) index = dir.resolve("model.safetensors.index.json");
            else single = dir.resolve("model.safetensors");
        } else {
            dir = path.toAbsolutePath().getParent();
            if (path.getFileName().toString().endsWith(".json")) index = path;
            else single = path;
        }
        if (single != null && !Files.isRegularFile(single)) {
            throw CheckpointFormatException.in(single, "not found: expected model.safetensors or model.safetensors.index.json");
        }
        Path configJson = dir.resolve("config.json");
        if (!Files.isRegularFile(configJson)) {
            throw CheckpointFormatException.in(path, "no config.json beside it: expected the Hugging Face config in " + dir);
        }
        LlamaConfig config = HuggingFaceConfig.read(configJson);

        List<SafetensorsFile> shards = new ArrayList<>();
        try {
            Map<String, String> weightMap = null;
            if (index != null) {
                weightMap = readIndex(index);
                Map<String, SafetensorsFile> byFile = new LinkedHashMap<>();
                for (String shardName : weightMap.values()) {
                    if (!byFile.containsKey(shardName)) {
                        SafetensorsFile f = SafetensorsFile.open(dir.resolve(shardName));
                        shards.add(f);
                        byFile.put(shardName, f);
                    }
                }
                for (Map.Entry<String, String> w : weightMap.entrySet()) {
                    if (!byFile.get(w.getValue()).contains(w.getKey())) {
                        throw CheckpointFormatException.in(index, "weight_map says '" + w.getKey() + "' is in " + w.getValue()
                                + " but that shard has no such tensor");
                    }
                }
            } else {
                shards.add(SafetensorsFile.open(single));
            }

            CanonicalTensors tensors = new CanonicalTensors(index != null ? index : single);
            Map<String, Object> metadata = new LinkedHashMap<>();
            for (SafetensorsFile shard : shards) {
                metadata.putAll(shard.metadata());
                for (SafetensorsFile.Entry e : shard.tensors()) addTensor(shard, e, config, tensors);
            }
            List<CheckpointTensor> ordered = tensors.inOrderOf(config, TensorNames::toHuggingFace);
            return new Checkpoint("safetensors", path, config, ordered, metadata, null, new ArrayList<>(shards));
        } catch (IOException | RuntimeException | Error e) {
            for (SafetensorsFile s : shards) s.close();
            throw e;
        }
    }

    private static void addTensor(SafetensorsFile shard, SafetensorsFile.Entry e, LlamaConfig config, CanonicalTensors tensors)
            throws CheckpointFormatException {
        String canonical = TensorNames.fromHuggingFace(e.name());
        if (canonical == null) {
            // older exports save the RoPE inverse frequencies as a buffer; they follow from the config
            if (e.name().endsWith(".rotary_emb.inv_freq")) return;
            throw CheckpointFormatException.in(shard.path(), "tensor '" + e.name() + "' is not a parameter of a Llama model:"
                    + " expected Hugging Face Llama names such as model.layers.0.self_attn.q_proj.weight");
        }
        // a tied checkpoint may still store lm_head.weight, a copy of the embeddings
        if (canonical.equals("output") && config.tiedEmbeddings()) return;
        ElementType type = switch (e.dtype()) {
            case F32 -> ElementType.F32;
            case F16 -> ElementType.F16;
            case BF16 -> ElementType.BF16;
            default -> throw CheckpointFormatException.in(shard.path(), "tensor '" + e.name() + "' dtype " + e.dtype()
                    + ": expected one of F32, F16, BF16");
        };
        MemorySegment bytes = shard.bytes(e);
        tensors.add(canonical, e.name(), e.shape(), type,
                (first, count, dst, off) -> ElementCodec.decode(type, bytes, first, count, dst, off));
    }

    // model.safetensors.index.json: {"metadata": {...}, "weight_map": {"tensor name": "shard file name", ...}}
    private static Map<String, String> readIndex(Path index) throws IOException {
        long size = Files.size(index);
        if (size > MAX_INDEX_BYTES) throw CheckpointFormatException.in(index, size + " bytes: expected a shard index under " + MAX_INDEX_BYTES);
        JsonObject root = JsonObject.of(JsonObject.parse(Files.readAllBytes(index), index, ""), index, "");
        JsonObject map = root.optionalObject("weight_map");
        if (map == null) throw CheckpointFormatException.in(index, "weight_map is missing: expected {tensor name: shard file}");
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : map.fields().entrySet()) {
            if (!(e.getValue() instanceof String shard) || !isPlainShardName(shard)) {
                throw map.error(e.getKey(), "the name of a .safetensors file in the same folder");
            }
            weightMap.put(e.getKey(), shard);
        }
        if (weightMap.isEmpty()) throw CheckpointFormatException.in(index, "weight_map is empty: expected at least one tensor");
        return weightMap;
    }

    // a shard must be a file in the same folder: no separators, no parent references, no hidden files
    private static boolean isPlainShardName(String name) {
        return name.endsWith(".safetensors") && !name.startsWith(".") && name.indexOf('/') < 0 && name.indexOf('\\') < 0
                && name.indexOf(':') < 0 && name.indexOf('\0') < 0;
    }
}
