package io.piece4j.bench;

import io.piece4j.nn.format.Llama2cWriter;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.tensor.cpu.RefBackend;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * llama2.c's decoders as a reference for batch-1 generation: `run` (float32) reads the same random
 * weights piece4j decodes with, written as a legacy llama2.c checkpoint (the header run.c reads); `runq`
 * needs a version-2 (Q8_0) export, which the user supplies. Greedy (-t 0) from BOS; the figure is the
 * "achieved tok/s" line run.c prints at the end.
 */
final class Llama2cReference {
    /** tokens per second, or NaN with the reason in missing. */
    record Result(double tokensPerSecond, String missing, String command) {}

    private static final Pattern ACHIEVED = Pattern.compile("achieved tok/s: ([0-9.eE+-]+)");

    private final Path dir, q8Model, cache;

    Llama2cReference(Path dir, Path q8Model, Path cache) {
        this.dir = dir;
        this.q8Model = q8Model;
        this.cache = cache;
    }

    Result run(String program, String config, long seed, Map<String, String> env, int tokens) throws IOException, InterruptedException {
        Path exe = dir.resolve(program);
        if (!Files.isExecutable(exe)) {
            return new Result(Double.NaN, exe + " is not there or not executable (in llama2.c: make runomp" + (program.equals("runq") ? ", and build runq.c" : "") + ")", program);
        }
        Path model;
        if (program.equals("runq")) {
            if (q8Model == null) return new Result(Double.NaN, "runq needs a version-2 (Q8_0) export of the " + config + " shape: give --llama2c-q8-model FILE", program);
            model = q8Model;
        } else {
            model = legacyCheckpoint(config, seed);
        }
        Path tokenizer = dir.resolve("tokenizer.bin");
        if (!Files.isRegularFile(tokenizer)) tokenizer = syntheticTokenizer(BenchModels.named(config).vocabSize());
        List<String> cmd = new ArrayList<>(List.of(exe.toString(), model.toString(), "-z", tokenizer.toString(), "-t", "0",
                "-n", String.valueOf(tokens + 1), "-s", String.valueOf(seed)));
        String shown = ReferencePrograms.describe(cmd, env);
        ReferencePrograms.Run r;
        try {
            r = ReferencePrograms.run(cmd, env, 600);
        } catch (IOException e) {
            return new Result(Double.NaN, e.getMessage(), shown);
        }
        Matcher m = ACHIEVED.matcher(r.stderr() + "\n" + r.stdout());
        if (r.exit() != 0 || !m.find()) {
            return new Result(Double.NaN, program + " exited with " + r.exit() + " and printed no 'achieved tok/s' line: "
                    + r.stderr().strip().lines().findFirst().orElse(""), shown);
        }
        return new Result(Double.parseDouble(m.group(1)), null, shown);
    }

    /** The random seeded weights of `config` as a legacy (version 0) llama2.c file, written once into the cache. */
    Path legacyCheckpoint(String config, long seed) throws IOException {
        Path file = cache.resolve("llama2c-" + config + "-seed" + seed + ".bin");
        if (Files.isRegularFile(file)) return file;
        Files.createDirectories(cache);
        LlamaModel m = BenchModels.load(null, config, new RefBackend(), seed);
        Llama2cWriter.write(file, m.config(), ModelFiles.tensors(m), 0);
        return file;
    }

    /**
     * A tokenizer.bin in run.c's layout (int32 max_token_length; per token float32 score, int32 length,
     * bytes) for `vocab` tokens: <unk>, <s>, </s>, the 256 byte tokens <0xXX>, then "t<id>". Decoding
     * speed does not depend on the strings; run.c only needs a file of the right size.
     */
    Path syntheticTokenizer(int vocab) throws IOException {
        Path file = cache.resolve("tokenizer-synthetic-" + vocab + ".bin");
        if (Files.isRegularFile(file)) return file;
        Files.createDirectories(cache);
        List<byte[]> pieces = new ArrayList<>();
        for (int id = 0; id < vocab; id++) {
            String s = id == 0 ? "<unk>" : id == 1 ? "\n<s>\n" : id == 2 ? "\n</s>\n" : id < 259 ? String.format("<0x%02X>", id - 3) : "t" + id;
            pieces.add(s.getBytes(StandardCharsets.UTF_8));
        }
        int maxLen = pieces.stream().mapToInt(b -> b.length).max().orElse(1);
        Path tmp = Files.createTempFile(cache, "tokenizer", ".tmp");
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(tmp))) {
            ByteBuffer le = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            out.write(le.clear().putInt(maxLen).array(), 0, 4);
            for (byte[] piece : pieces) {
                out.write(le.clear().putFloat(0f).putInt(piece.length).array(), 0, 8);
                out.write(piece);
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }
}
