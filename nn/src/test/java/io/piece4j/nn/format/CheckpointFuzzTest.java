package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;
import io.piece4j.nn.LlamaConfig.RopeScaling;
import io.piece4j.nn.format.SafetensorsFile.Data;
import io.piece4j.nn.format.SafetensorsFile.Dtype;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Mutation fuzzing of every reader: valid small files of each format get bytes flipped, inserted, deleted and
 * overwritten, and length fields set to extremes; opening them and reading every tensor may fail only with
 * CheckpointFormatException. Runs about 10 s in all; -Dpiece.fuzz.seconds=N runs longer and
 * -Dpiece.fuzz.seed=S explores other cases. A failure names its corpus file and case seed; replay it alone with
 * -Dpiece.fuzz.replay=CORPUS:SEED.
 */
class CheckpointFuzzTest {
    private static final long SEED = Long.parseLong(System.getProperty("piece.fuzz.seed", "20240617"));
    private static final double SECONDS = Double.parseDouble(System.getProperty("piece.fuzz.seconds", "10"));
    private static final String REPLAY = System.getProperty("piece.fuzz.replay", "");

    @TempDir static Path dir;

    /** A valid file, where the mutated copy goes, and how to read it. */
    private record Corpus(String name, byte[] bytes, Path target, Reader reader) {}

    @FunctionalInterface
    private interface Reader {
        void readAll(Path p) throws IOException;
    }

    private static final List<Corpus> CORPUS = new ArrayList<>();

    @BeforeAll
    static void buildCorpus() throws IOException {
        LlamaConfig interleaved = new LlamaConfig(16, 2, 4, 2, 4, 24, 11, 8, 1e-5f, 500000f, false, RopeLayout.INTERLEAVED,
                new RopeScaling(8, 1, 4, 64));
        GgufVocabulary vocab = new GgufVocabulary("llama", new String[] {"<unk>", "<s>", "</s>", "a", "b", "c", "d", "e", "f", "g", "é"},
                new float[11], new int[] {2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, new String[] {"a b"}, 1, 2);
        Path gguf = dir.resolve("source.gguf");
        GgufWriter.write(gguf, interleaved, TinyModels.weights(interleaved, 1), ElementType.F16, vocab);
        add("gguf", Files.readAllBytes(gguf), dir.resolve("fuzz.gguf"), CheckpointFuzzTest::readCheckpoint);
        add("gguf-quantised", quantisedGguf(), dir.resolve("fuzz-q.gguf"), CheckpointFuzzTest::readCheckpoint);

        LlamaConfig plain = TinyModels.config(RopeLayout.INTERLEAVED, false);
        for (int version = 0; version <= 1; version++) {
            Path bin = dir.resolve("source-v" + version + ".bin");
            Llama2cWriter.write(bin, plain, TinyModels.weights(plain, 2), version);
            add("llama2c-v" + version, Files.readAllBytes(bin), dir.resolve("fuzz-v" + version + ".bin"), CheckpointFuzzTest::readCheckpoint);
        }
        add("llama2c-v2", llama2cVersion2(), dir.resolve("fuzz-v2.bin"), CheckpointFuzzTest::readCheckpoint);

        Path hf = Files.createDirectories(dir.resolve("hf"));
        LlamaConfig halfSplit = TinyModels.config(RopeLayout.HALF_SPLIT, false);
        SafetensorsWriter.write(hf.resolve("model.safetensors"), halfSplit, TinyModels.weights(halfSplit, 3), Dtype.BF16);
        add("safetensors", Files.readAllBytes(hf.resolve("model.safetensors")), hf.resolve("model.safetensors"),
                p -> readCheckpoint(p.getParent()));
        Path hfConfig = Files.createDirectories(dir.resolve("hf-config"));
        SafetensorsWriter.write(hfConfig.resolve("model.safetensors"), halfSplit, TinyModels.weights(halfSplit, 3), Dtype.F32);
        add("config.json", Files.readAllBytes(hfConfig.resolve("config.json")), hfConfig.resolve("config.json"),
                p -> readCheckpoint(p.getParent()));

        Map<String, Data> raw = new LinkedHashMap<>();
        raw.put("tokens", Data.i64(new int[] {2, 3}, new long[] {1, 2, 3, 4, 5, 6}));
        raw.put("logits", Data.f32(new int[] {3, 2}, new float[] {1, 2, 3, 4, 5, 6}));
        raw.put("half", Data.f16(new int[] {2}, new float[] {1, 2}));
        Path generic = dir.resolve("source-generic.safetensors");
        SafetensorsFile.write(generic, raw, Map.of("k", "v"));
        add("safetensors-generic", Files.readAllBytes(generic), dir.resolve("fuzz-generic.safetensors"), CheckpointFuzzTest::readGeneric);
    }

    private static void add(String name, byte[] bytes, Path target, Reader reader) {
        CORPUS.add(new Corpus(name, bytes, target, reader));
    }

    private static void readCheckpoint(Path p) throws IOException {
        try (Checkpoint c = Checkpoint.open(p)) {
            for (CheckpointTensor t : c.tensors()) t.toFloatArray();
            c.vocabulary().ifPresent(v -> v.tokens().clone());
        }
    }

    private static void readGeneric(Path p) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            for (SafetensorsFile.Entry e : f.tensors()) {
                try {
                    f.readFloats(e.name());
                } catch (CheckpointFormatException notFloats) {
                    f.readLongs(e.name());
                }
            }
        }
    }

    // a tied llama GGUF of dim 32 with Q8_0, Q4_0 and BF16 tensors
    private static byte[] quantisedGguf() {
        LlamaConfig c = new LlamaConfig(32, 1, 4, 2, 8, 32, 2, 8, 1e-5f, 10000f, true, RopeLayout.INTERLEAVED, null);
        GgufBuilder b = new GgufBuilder().llamaKeys(c);
        SplittableRandom random = new SplittableRandom(5);
        for (NamedTensor t : TinyModels.weights(c, 6)) {
            String name = TensorNames.toGguf(t.name());
            int blocks = t.data().length / 32;
            switch (name) {
                case "token_embd.weight", "blk.0.attn_q.weight" -> {
                    byte[] q8 = new byte[blocks * 34];
                    random.nextBytes(q8);
                    for (int k = 0; k < blocks; k++) q8[k * 34 + 1] = 0x38; // scale 0.5-ish, finite
                    b.tensor(name, t.shape(), GgufFile.GGML_Q8_0, q8);
                }
                case "blk.0.ffn_up.weight" -> {
                    byte[] q4 = new byte[blocks * 18];
                    random.nextBytes(q4);
                    b.tensor(name, t.shape(), GgufFile.GGML_Q4_0, q4);
                }
                case "blk.0.attn_norm.weight" -> {
                    ByteBuffer bf = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
                    for (int j = 0; j < 32; j++) bf.putShort((short) 0x3F80);
                    b.tensor(name, t.shape(), GgufFile.GGML_BF16, bf.array());
                }
                default -> b.tensorF32(name, t.shape(), t.data());
            }
        }
        return b.build();
    }

    // dim 4, hidden 6, 1 layer, 2 heads, 1 KV head, vocab 3, seq 2, shared classifier, group size 4
    private static byte[] llama2cVersion2() {
        ByteBuffer b = ByteBuffer.allocate(256 + 12 * 4 + 132 + 33 * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(Llama2cReader.MAGIC).putInt(2);
        for (int h : new int[] {4, 6, 1, 2, 1, 3, 2}) b.putInt(h);
        b.put((byte) 1).putInt(4);
        b.position(256);
        for (int i = 0; i < 12; i++) b.putFloat(1f);
        for (int n : new int[] {12, 16, 8, 8, 16, 24, 24, 24}) { // tok, wq, wk, wv, wo, w1, w2, w3: values, then scales
            for (int i = 0; i < n; i++) b.put((byte) (i % 7 - 3));
            for (int g = 0; g < n / 4; g++) b.putFloat(0.25f);
        }
        return b.array();
    }

    @Test
    void mutatedFilesFailOnlyWithCheckpointFormatException() throws IOException {
        long deadline = System.nanoTime() + (long) (SECONDS * 1e9);
        SplittableRandom seeds = new SplittableRandom(SEED);
        int cases = 0, opened = 0;
        Map<String, int[]> perCorpus = new LinkedHashMap<>();
        boolean replay = !REPLAY.isEmpty();
        while (replay ? cases < 1 : System.nanoTime() < deadline || cases < CORPUS.size()) {
            long caseSeed = replay ? Long.parseLong(REPLAY.substring(REPLAY.lastIndexOf(':') + 1)) : seeds.nextLong();
            Corpus corpus = replay ? corpusNamed(REPLAY.substring(0, REPLAY.lastIndexOf(':'))) : CORPUS.get(cases % CORPUS.size());
            StringBuilder log = new StringBuilder();
            byte[] mutated = mutate(corpus.bytes(), new SplittableRandom(caseSeed), log);
            Files.write(corpus.target(), mutated);
            try {
                corpus.reader().readAll(corpus.target());
                opened++;
                perCorpus.computeIfAbsent(corpus.name(), k -> new int[2])[1]++;
            } catch (CheckpointFormatException expected) {
                perCorpus.computeIfAbsent(corpus.name(), k -> new int[2])[0]++;
            } catch (Throwable t) {
                StringWriter trace = new StringWriter();
                t.printStackTrace(new PrintWriter(trace));
                fail("case " + cases + " (replay with -Dpiece.fuzz.replay=" + corpus.name() + ":" + caseSeed + "; mutations " + log + ") threw "
                        + t + " instead of CheckpointFormatException:\n" + trace);
            }
            cases++;
        }
        // restore valid sources for anything sharing the folders
        for (Corpus c : CORPUS) Files.write(c.target(), c.bytes());
        StringBuilder summary = new StringBuilder("fuzz: " + cases + " cases, " + opened + " still readable;");
        perCorpus.forEach((name, counts) -> summary.append(' ').append(name).append(" rejected ").append(counts[0])
                .append(" read ").append(counts[1]).append(';'));
        System.out.println(summary);
        assertTrue(replay || cases >= CORPUS.size(), "every corpus file was mutated at least once");
    }

    private static Corpus corpusNamed(String name) {
        return CORPUS.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no corpus file '" + name + "'"));
    }

    /** One to four random mutations of a copy of {@code original}, described in {@code log}. */
    static byte[] mutate(byte[] original, SplittableRandom r, StringBuilder log) {
        byte[] b = original.clone();
        int n = 1 + r.nextInt(4);
        for (int m = 0; m < n && b.length > 0; m++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(7)) {
                case 0 -> {
                    b[at] ^= (byte) (1 << r.nextInt(8));
                    log.append("flip@").append(at).append(' ');
                }
                case 1 -> {
                    byte[] extremes = {0, (byte) 0xFF, 0x7F, (byte) 0x80, 1};
                    b[at] = extremes[r.nextInt(extremes.length)];
                    log.append("byte@").append(at).append(' ');
                }
                case 2 -> {
                    int len = 1 + r.nextInt(16);
                    byte[] out = new byte[b.length + len];
                    System.arraycopy(b, 0, out, 0, at);
                    for (int i = 0; i < len; i++) out[at + i] = (byte) r.nextInt(256);
                    System.arraycopy(b, at, out, at + len, b.length - at);
                    b = out;
                    log.append("insert").append(len).append('@').append(at).append(' ');
                }
                case 3 -> {
                    int len = Math.min(1 + r.nextInt(16), b.length - at);
                    byte[] out = new byte[b.length - len];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(b, at + len, out, at, b.length - at - len);
                    b = out;
                    log.append("delete").append(len).append('@').append(at).append(' ');
                }
                case 4 -> {
                    b = java.util.Arrays.copyOf(b, at);
                    log.append("truncate@").append(at).append(' ');
                }
                case 5, 6 -> {
                    // a length, count, offset or dimension field set to an extreme; fields are 4 or 8 bytes wide
                    long[] extremes = {0, -1, 1, Integer.MAX_VALUE, 1L << 31, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE,
                            b.length, b.length + 1, b.length - 1, 1L << 40};
                    long v = extremes[r.nextInt(extremes.length)];
                    int width = r.nextBoolean() ? 8 : 4;
                    int start = Math.max(0, Math.min(at - at % 4, b.length - width));
                    for (int i = 0; i < width && start + i < b.length; i++) b[start + i] = (byte) (v >>> (8 * i));
                    log.append("field").append(width).append('@').append(start).append('=').append(v).append(' ');
                }
                default -> throw new AssertionError();
            }
        }
        return b;
    }
}
