package io.piece4j.cli;

import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.format.GgufKeyValue;
import io.piece4j.nn.format.GgufTokenizer;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.tokenizer.GgufTokenizers;
import io.piece4j.tensor.cpu.RefBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Converts a model between llama2.c .bin, safetensors and GGUF. A GGUF output keeps every key of a GGUF input
 * that it does not redefine, and embeds the input's vocabulary or the one of --tokenizer.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a model between llama2.c .bin, safetensors (+ config.json) and GGUF; RoPE row order is fixed up.")
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN") Path in;
    @Parameters(index = "1", paramLabel = "OUT") Path out;
    @Option(names = "--to", description = "safetensors, gguf or bin (default: from OUT's extension)") String to;
    @Option(names = "--type", defaultValue = "f32",
            description = "element type of the matrices: f32; f16 or bf16 (safetensors, GGUF); q8_0 (GGUF, llama2.c --bin-version 2)")
    String type;
    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "GGUF output: embed this vocabulary (llama2.c tokenizer.bin, tokenizer.json or a GGUF file) in place of the input's;"
                    + " without one, or one in the input, llama.cpp cannot load the result")
    Path tokenizer;
    @Option(names = "--bin-version", paramLabel = "V", defaultValue = "0",
            description = "llama2.c output: 0 = legacy, what llama2.c's run reads (default); 1 = float32 with a header; 2 = int8 (runq)")
    int binVersion;
    @Option(names = "--force", description = "replace a config.json beside the safetensors output that is not this model's") boolean force;

    @Override
    public Integer call() throws Exception {
        ModelFiles.Format format = to == null ? ModelFiles.formatOf(out) : switch (to.toLowerCase(Locale.ROOT)) {
            case "safetensors" -> ModelFiles.Format.SAFETENSORS;
            case "gguf" -> ModelFiles.Format.GGUF;
            case "bin", "llama2c", "llama2.c" -> ModelFiles.Format.LLAMA2C;
            default -> throw new IllegalArgumentException("--to " + to + ": expected safetensors, gguf or bin");
        };
        if (tokenizer != null && format != ModelFiles.Format.GGUF) {
            throw new IllegalArgumentException("--tokenizer " + tokenizer + ": only a GGUF output embeds a vocabulary");
        }
        try (Checkpoint c = Checkpoint.open(in)) {
            GgufTokenizer vocabulary = tokenizer != null ? GgufTokenizers.read(tokenizer) : GgufTokenizer.of(c);
            if (vocabulary != null && vocabulary.vocabulary().tokens().length != c.config().vocabSize()) {
                throw new IllegalArgumentException((tokenizer != null ? tokenizer : in) + ": the vocabulary has "
                        + vocabulary.vocabulary().tokens().length + " tokens: expected the model's vocab_size " + c.config().vocabSize());
            }
            // a new tokenizer redefines the whole tokenizer.* namespace; everything else of a GGUF input is kept
            List<GgufKeyValue> carried = c.ggufKeys().stream().filter(kv -> tokenizer == null || !kv.key().startsWith("tokenizer.")).toList();
            ModelFiles.SaveOptions options = ModelFiles.SaveOptions.of(type).withTokenizer(vocabulary).withGgufKeys(carried)
                    .withLlama2cVersion(binVersion).withReplaceConfig(force);
            ModelFiles.checkTarget(c.config(), out, format, options);
            if (format == ModelFiles.Format.GGUF && vocabulary == null) {
                System.err.println("piece convert: warning: " + in + " has no vocabulary, so " + out + " gets none and llama.cpp will not"
                        + " load it (key not found: tokenizer.ggml.model); give --tokenizer tokenizer.bin|tokenizer.json|FILE.gguf");
            }
            // the reference backend: conversion only moves numbers, and float32 storage keeps them exact
            LlamaModel m = ModelFiles.fromCheckpoint(c, new RefBackend());
            ModelFiles.save(m, out, format, options);
            String what = format == ModelFiles.Format.LLAMA2C ? "llama2.c version " + binVersion : format.name().toLowerCase(Locale.ROOT) + ", " + type;
            System.out.printf("wrote %s (%s, %,d parameters%s) from %s (%s)%n", out, what, m.layout().size(),
                    vocabulary == null ? "" : ", " + vocabulary.vocabulary().model() + " vocabulary of " + vocabulary.vocabulary().tokens().length,
                    in, c.format());
        }
        return 0;
    }
}
