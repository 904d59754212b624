package io.piece4j.cli;

import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.tensor.cpu.RefBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Converts a model between llama2.c .bin, safetensors and GGUF. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a model between llama2.c .bin, safetensors (+ config.json) and GGUF; RoPE row order is fixed up.")
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN") Path in;
    @Parameters(index = "1", paramLabel = "OUT") Path out;
    @Option(names = "--to", description = "safetensors, gguf or bin (default: from OUT's extension)") String to;
    @Option(names = "--type", defaultValue = "f32", description = "element type: f32, f16 (safetensors, GGUF) or bf16 (safetensors)") String type;

    @Override
    public Integer call() throws Exception {
        ModelFiles.Format format = to == null ? ModelFiles.formatOf(out) : switch (to.toLowerCase(Locale.ROOT)) {
            case "safetensors" -> ModelFiles.Format.SAFETENSORS;
            case "gguf" -> ModelFiles.Format.GGUF;
            case "bin", "llama2c", "llama2.c" -> ModelFiles.Format.LLAMA2C;
            default -> throw new IllegalArgumentException("--to " + to + ": expected safetensors, gguf or bin");
        };
        try (Checkpoint c = Checkpoint.open(in)) {
            // the reference backend: conversion only moves numbers, and float32 storage keeps them exact
            LlamaModel m = ModelFiles.fromCheckpoint(c, new RefBackend());
            ModelFiles.save(m, out, format, type, c.vocabulary().orElse(null));
            System.out.printf("wrote %s (%s, %s, %,d parameters) from %s (%s)%n", out, format.name().toLowerCase(Locale.ROOT), type,
                    m.layout().size(), in, c.format());
        }
        return 0;
    }
}
