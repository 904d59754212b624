package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Llama model file opened for reading: its config, its parameters under canonical names in canonical order
 * (those of {@link LlamaConfig#parameterSpecs()}), and whatever else the file says. Tensor data stays in the
 * memory-mapped file until read; close the checkpoint to unmap it.
 *
 * <p>The config reports the file's own RoPE layout (HALF_SPLIT for Hugging Face, INTERLEAVED for GGUF and
 * llama2.c); readers never permute rows.
 */
public final class Checkpoint implements AutoCloseable {
    private final String format;
    private final Path path;
    private final LlamaConfig config;
    private final List<CheckpointTensor> tensors;
    private final Map<String, CheckpointTensor> byName;
    private final Map<String, Object> metadata;
    private final GgufVocabulary vocabulary;
    private final List<GgufKeyValue> ggufKeys;
    private final List<AutoCloseable> resources;
    private boolean closed;

    Checkpoint(String format, Path path, LlamaConfig config, List<CheckpointTensor> tensors,
               Map<String, Object> metadata, GgufVocabulary vocabulary, List<AutoCloseable> resources) {
        this(format, path, config, tensors, metadata, vocabulary, List.of(), resources);
    }

    Checkpoint(String format, Path path, LlamaConfig config, List<CheckpointTensor> tensors, Map<String, Object> metadata,
               GgufVocabulary vocabulary, List<GgufKeyValue> ggufKeys, List<AutoCloseable> resources) {
        this.format = format;
        this.path = path;
        this.config = config;
        this.tensors = List.copyOf(tensors);
        Map<String, CheckpointTensor> map = new LinkedHashMap<>();
        for (CheckpointTensor t : tensors) map.put(t.name(), t);
        this.byName = Collections.unmodifiableMap(map);
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        this.vocabulary = vocabulary;
        this.ggufKeys = List.copyOf(ggufKeys);
        this.resources = List.copyOf(resources);
    }

    /**
     * Opens a checkpoint of any supported format: a directory holding model.safetensors (or a sharded
     * model.safetensors.index.json) and config.json, a .safetensors file or shard index with config.json beside
     * it, a GGUF file, or a llama2.c .bin file (legacy or versioned). The format is recognised by magic bytes
     * where it has them.
     */
    public static Checkpoint open(Path path) throws IOException {
        if (Files.isDirectory(path)) return SafetensorsReader.read(path);
        if (!Files.isRegularFile(path)) throw CheckpointFormatException.in(path, "no such file or directory");
        byte[] head = new byte[12];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, head.length);
        }
        if (n >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') return GgufReader.read(path);
        if (n >= 4 && littleEndianInt(head, 0) == Llama2cReader.MAGIC) return Llama2cReader.read(path);
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            throw CheckpointFormatException.in(path, "a zip archive (a PyTorch pickle checkpoint?): expected safetensors,"
                    + " GGUF or llama2.c; save the model with safetensors first");
        }
        String name = path.getFileName().toString();
        if (name.endsWith(".safetensors") || name.endsWith(".json")) return SafetensorsReader.read(path);
        if (name.endsWith(".gguf")) return GgufReader.read(path);
        // a safetensors file starts with a u64 header length followed by '{'
        if (n >= 9 && head[8] == '{' && !name.endsWith(".bin")) return SafetensorsReader.read(path);
        return Llama2cReader.read(path);
    }

    /** "safetensors", "gguf" or "llama2c". */
    public String format() { return format; }

    /** The file (or directory) that was opened. */
    public Path path() { return path; }

    public LlamaConfig config() { return config; }

    /** Every parameter in canonical order. */
    public List<CheckpointTensor> tensors() { return tensors; }

    /** The parameter with this canonical name. */
    public CheckpointTensor tensor(String canonicalName) {
        CheckpointTensor t = byName.get(canonicalName);
        if (t == null) {
            throw new IllegalArgumentException("no parameter '" + canonicalName + "' in " + path.getFileName()
                    + ": expected one of " + byName.keySet());
        }
        return t;
    }

    /** Every parameter read into memory as float32, in canonical order: the input writers take, for conversions. */
    public List<NamedTensor> readAllTensors() {
        return tensors.stream().map(t -> new NamedTensor(t.name(), t.shape(), t.toFloatArray())).toList();
    }

    /**
     * What else the file says: GGUF key-value pairs (integers as Long, float32 as Float, arrays as Java arrays),
     * safetensors __metadata__ strings, llama2.c's version and group size.
     */
    public Map<String, Object> metadata() { return metadata; }

    /** The tokenizer embedded in a GGUF file, when it has one. */
    public Optional<GgufVocabulary> vocabulary() { return Optional.ofNullable(vocabulary); }

    /**
     * Every key-value pair of a GGUF file in file order, each in its encoded form so it can be written into
     * another GGUF file unchanged; empty for other formats.
     */
    public List<GgufKeyValue> ggufKeys() { return ggufKeys; }

    /** Unmaps the file; tensors cannot be read afterwards. Closing again does nothing. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + path + ": " + e.getMessage(), e);
            }
        }
    }

    @Override public String toString() {
        return format + " " + path.getFileName() + " " + config;
    }

    private static int littleEndianInt(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }
}
