package io.piece4j.distributed;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.tensor.spi.Backend;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A model file (or a safetensors folder) shipped to executors, with the backend they compute on: the driver's
 * backend by name, with spark.task.cpus threads.
 *
 * @param files     the model's file(s)
 * @param modelName the file's (or folder's) name inside files' folder
 * @param backend   backend name ("simd", "ref", ...)
 * @param threads   threads of each task's backend
 */
public record ModelShipment(ShippedFiles files, String modelName, String backend, int threads) implements Serializable {

    public static ModelShipment of(JavaSparkContext sc, Path model, String backend, int threads, Path shared) throws IOException {
        return new ModelShipment(ShippedFiles.of(sc, filesOf(model), shared), model.getFileName().toString(), backend, threads);
    }

    /**
     * name -> path of what loading the model reads: every file of a model folder; a file, with the config.json
     * beside it (safetensors needs it) and, for a shard index, the shards beside it.
     */
    static Map<String, Path> filesOf(Path model) throws IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        String name = model.getFileName().toString();
        if (!Files.isDirectory(model)) {
            out.put(name, model);
            Path folder = model.toAbsolutePath().getParent();
            if (name.endsWith(".safetensors") || name.endsWith(".index.json")) {
                if (Files.isRegularFile(folder.resolve("config.json"))) out.put("config.json", folder.resolve("config.json"));
            }
            if (name.endsWith(".index.json")) {
                try (Stream<Path> s = Files.list(folder)) {
                    for (Path f : s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList()) {
                        out.put(f.getFileName().toString(), f);
                    }
                }
            }
            return out;
        }
        try (Stream<Path> s = Files.walk(model)) {
            for (Path f : s.filter(Files::isRegularFile).sorted().toList()) out.put(name + "/" + model.relativize(f), f);
        }
        return out;
    }

    public Path path() { return files.folder().resolve(modelName); }

    public LlamaModel load(Backend be) throws IOException { return ModelFiles.load(path(), be); }
}
