package io.piece4j.cli;

import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.format.GgufKeyValue;
import io.piece4j.nn.format.GgufTokenizer;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.tokenizer.GgufTokenizers;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The options every command that runs a model shares: the model, its tokenizer, the backend. */
final class ModelOptions {
    @Option(names = "--model", required = true, description = "llama2.c .bin, safetensors (file or folder) or GGUF") Path model;
    @Option(names = "--tokenizer", description = "tokenizer.json, llama2.c tokenizer.bin, or 'byte'; default: embedded in or beside the model")
    String tokenizer;
    @Option(names = "--backend", description = "ref, simd, ... (default: best available; also -Dpiece.backend / PIECE_BACKEND)") String backend;
    @Option(names = "--threads", defaultValue = "0", description = "worker threads (default: all cores)") int threads;

    Backend backend() { return Backends.create(backend, threads); }

    LlamaModel load(Backend be) throws IOException { return ModelFiles.load(model, be); }

    /**
     * --tokenizer FILE or 'byte'; otherwise GGUF's embedded vocabulary, or tokenizer.json / tokenizer.bin
     * beside the model file.
     */
    Tokenizer tokenizer() throws IOException { return tokenizerSource().load(model); }

    /** The same choice as data, for runs rebuilt in another JVM (a Spark executor). */
    TokenizerSource tokenizerSource() { return new TokenizerSource(tokenizer); }

    /** tokenizer.json or tokenizer.bin in the model's folder, or null. */
    private Path tokenizerBesideModel() {
        Path folder = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
        for (String name : new String[] {"tokenizer.json", "tokenizer.bin"}) {
            Path f = folder.resolve(name);
            if (Files.isRegularFile(f)) return f;
        }
        return null;
    }

    /**
     * How a model made from this one is written: a GGUF file gets the tokenizer the run used (--tokenizer FILE,
     * else the model's embedded one with its other tokenizer.* keys, else one beside the model) and keeps the
     * other keys of a GGUF model file.
     */
    ModelFiles.SaveOptions saveOptions(String type) throws IOException {
        try (Checkpoint c = Checkpoint.open(model)) {
            boolean explicit = tokenizer != null && !tokenizer.equals("byte");
            Path beside = tokenizerBesideModel();
            GgufTokenizer t = explicit ? GgufTokenizers.read(Path.of(tokenizer))
                    : tokenizer == null && c.vocabulary().isPresent() ? GgufTokenizer.of(c)
                    : tokenizer == null && beside != null ? GgufTokenizers.read(beside) : null;
            List<GgufKeyValue> kept = c.ggufKeys().stream().filter(kv -> !explicit || !kv.key().startsWith("tokenizer.")).toList();
            return ModelFiles.SaveOptions.of(type).withTokenizer(t).withGgufKeys(kept);
        }
    }
}
