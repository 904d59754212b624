package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.ParamSpec;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Collects a file's tensors under canonical names and checks them against the config: every parameter present
 * once, with exactly the shape the config implies, and nothing else.
 */
final class CanonicalTensors {
    private record Found(String fileName, int[] shape, ElementType type, CheckpointTensor.Source source, MemorySegment stored) {}

    private final Path file;
    private final Map<String, Found> found = new HashMap<>();

    CanonicalTensors(Path file) {
        this.file = file;
    }

    void add(String canonical, String fileName, int[] shape, ElementType type, CheckpointTensor.Source source)
            throws CheckpointFormatException {
        add(canonical, fileName, shape, type, source, null);
    }

    /** As above, with the tensor's bytes as stored (row-major, in {@code type}), for readers that take them as they are. */
    void add(String canonical, String fileName, int[] shape, ElementType type, CheckpointTensor.Source source, MemorySegment stored)
            throws CheckpointFormatException {
        Found previous = found.put(canonical, new Found(fileName, shape, type, source, stored));
        if (previous != null) {
            throw CheckpointFormatException.in(file, "tensor '" + fileName + "' appears twice (also as '"
                    + previous.fileName() + "'): expected each parameter once");
        }
    }

    /**
     * The tensors in the config's canonical order, after checking names and shapes; {@code fileNameOf} gives the
     * file's name for a canonical one, for messages.
     */
    List<CheckpointTensor> inOrderOf(LlamaConfig config, UnaryOperator<String> fileNameOf) throws CheckpointFormatException {
        // a header claiming millions of layers is caught here, before the parameter list is built
        long expected = 9L * config.layers() + (config.tiedEmbeddings() ? 2 : 3);
        if (expected > found.size() + 64L) {
            throw CheckpointFormatException.in(file, "the file has " + found.size() + " Llama tensors: expected " + expected
                    + " for " + config.layers() + " layers (" + (config.tiedEmbeddings() ? "tied" : "untied") + " output)");
        }
        List<CheckpointTensor> out = new ArrayList<>();
        for (ParamSpec spec : config.parameterSpecs()) {
            Found f = found.get(spec.name());
            if (f == null) {
                throw CheckpointFormatException.in(file, "tensor '" + fileNameOf.apply(spec.name()) + "' is missing: expected "
                        + spec.name() + " of shape " + Arrays.toString(spec.shape()) + " for this config");
            }
            if (!Arrays.equals(f.shape(), spec.shape())) {
                throw CheckpointFormatException.in(file, "tensor '" + f.fileName() + "' shape " + Arrays.toString(f.shape())
                        + ": expected " + Arrays.toString(spec.shape()) + " (" + spec.name() + " of the config: dim "
                        + config.dim() + ", heads " + config.heads() + ", kvHeads " + config.kvHeads() + ", headDim "
                        + config.headDim() + ", hiddenDim " + config.hiddenDim() + ", vocab " + config.vocabSize() + ")");
            }
            out.add(new CheckpointTensor(spec.name(), f.shape(), f.type(), f.source(), f.stored()));
        }
        if (out.size() != found.size()) {
            for (Map.Entry<String, Found> e : found.entrySet()) {
                if (out.stream().noneMatch(t -> t.name().equals(e.getKey()))) {
                    throw CheckpointFormatException.in(file, "tensor '" + e.getValue().fileName() + "' does not belong to this config ("
                            + config.layers() + " layers, " + (config.tiedEmbeddings() ? "tied" : "untied") + " output)");
                }
            }
        }
        return out;
    }
}
