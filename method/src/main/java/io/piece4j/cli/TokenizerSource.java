package io.piece4j.cli;

import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.nn.tokenizer.Tokenizers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a model's tokenizer comes from: the byte tokenizer, a file (tokenizer.json or llama2.c tokenizer.bin),
 * or the vocabulary embedded in the model (GGUF). Kept as data so a run rebuilt in another JVM (a Spark
 * executor) loads the same tokenizer.
 *
 * @param option "byte", a tokenizer file, or null: the model's embedded vocabulary, else tokenizer.json or
 *               tokenizer.bin beside the model
 */
public record TokenizerSource(String option) {
    public static final String BYTE = "byte";

    /** The file this source reads, or null (byte tokenizer or the model's own vocabulary). */
    public Path file(Path model) throws IOException {
        if (option != null) return option.equals(BYTE) ? null : Path.of(option);
        if (embedded(model)) return null;
        Path folder = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
        for (String name : new String[] {"tokenizer.json", "tokenizer.bin"}) {
            Path f = folder.resolve(name);
            if (Files.isRegularFile(f)) return f;
        }
        throw new IllegalArgumentException(model + ": no tokenizer embedded in the model or beside it (tokenizer.json, tokenizer.bin);"
                + " give --tokenizer FILE or --tokenizer byte");
    }

    public Tokenizer load(Path model) throws IOException {
        if (BYTE.equals(option)) return new ByteTokenizer();
        Path f = file(model);
        if (f != null) return Tokenizers.load(f);
        try (Checkpoint c = Checkpoint.open(model)) {
            var v = c.vocabulary().orElseThrow();
            return Tokenizers.fromGguf(v.model(), v.tokens(), v.scores(), v.tokenTypes(), v.merges(), v.bosId(), v.eosId());
        }
    }

    private static boolean embedded(Path model) throws IOException {
        try (Checkpoint c = Checkpoint.open(model)) {
            return c.vocabulary().isPresent();
        }
    }
}
