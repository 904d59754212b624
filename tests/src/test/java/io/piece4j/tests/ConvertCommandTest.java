package io.piece4j.tests;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.format.Checkpoint;
import io.piece4j.nn.format.GgufKeyValue;
import io.piece4j.nn.format.GgufTokenizer;
import io.piece4j.nn.format.HuggingFaceConfig;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.tokenizer.GgufTokenizers;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `piece convert`: vocabularies, GGUF keys, llama2.c versions and config.json. */
class ConvertCommandTest {
    @TempDir Path dir;

    /** 700 tokens: the vocabulary of the tokenizer files under /tokenizer. */
    private static final LlamaConfig CONFIG = new LlamaConfig(32, 1, 4, 2, 8, 64, 700, 16, 1e-5f, 10000f, false,
            LlamaConfig.RopeLayout.HALF_SPLIT, null);

    private Path safetensors(String folder) throws Exception {
        LlamaModel m = new LlamaModel(CONFIG, new RefBackend());
        m.initRandom(3, 0.3f);
        Path st = dir.resolve(folder).resolve("model.safetensors");
        ModelFiles.save(m, st, ModelFiles.Format.SAFETENSORS, "f32", null);
        return st;
    }

    private static String tokenizer(String name) {
        return ExternalTools.resource("/tokenizer/" + name).toString();
    }

    private static Map<String, GgufKeyValue> keysOf(Path gguf) throws Exception {
        try (Checkpoint c = Checkpoint.open(gguf)) {
            return c.ggufKeys().stream().collect(Collectors.toMap(GgufKeyValue::key, Function.identity()));
        }
    }

    @Test
    void ggufWithTokenizerEmbedsTheVocabularyAndWithoutOneWarnsThatLlamaCppCannotLoadIt() throws Exception {
        Path st = safetensors("st");
        for (String name : List.of("spm-tiny.tokenizer.bin", "spm-tiny.tokenizer.json")) {
            Path gguf = dir.resolve(name + ".gguf");
            PieceRun r = PieceRun.of("convert", st.toString(), gguf.toString(), "--tokenizer", tokenizer(name)).ok();
            assertFalse(r.err().contains("warning"), name + ": " + r.err());
            try (Checkpoint c = Checkpoint.open(gguf)) {
                assertEquals(GgufTokenizers.read(Path.of(tokenizer(name))).vocabulary(), c.vocabulary().orElseThrow(), name);
                assertEquals("llama", c.metadata().get("tokenizer.ggml.model"));
            }
        }
        Path bare = dir.resolve("bare.gguf");
        PieceRun r = PieceRun.of("convert", st.toString(), bare.toString()).ok();
        assertTrue(r.err().contains("warning: " + st + " has no vocabulary, so " + bare + " gets none and llama.cpp will not load it"), r.err());
        try (Checkpoint c = Checkpoint.open(bare)) {
            assertTrue(c.vocabulary().isEmpty());
        }
    }

    @Test
    void aTokenizerOfAnotherSizeOrForAnotherFormatIsRefused() throws Exception {
        Path st = safetensors("st");
        PieceRun r = PieceRun.of("convert", st.toString(), dir.resolve("x.gguf").toString(), "--tokenizer", tokenizer("gpt2-tiny.tokenizer.json"));
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("gpt2-tiny.tokenizer.json: the vocabulary has 1001 tokens: expected the model's vocab_size 700"), r.err());
        assertFalse(Files.exists(dir.resolve("x.gguf")));
        r = PieceRun.of("convert", st.toString(), dir.resolve("x.bin").toString(), "--tokenizer", tokenizer("spm-tiny.tokenizer.bin"));
        assertNotEquals(0, r.exitCode());
        assertTrue(r.err().contains("only a GGUF output embeds a vocabulary"), r.err());
    }

    @Test
    void ggufToGgufKeepsEveryKeyOfTheInputThatTheOutputDoesNotRedefine() throws Exception {
        Path st = safetensors("st");
        Path first = dir.resolve("first.gguf");
        PieceRun.of("convert", st.toString(), first.toString(), "--tokenizer", tokenizer("spm-tiny.tokenizer.bin")).ok();
        // what a llama.cpp conversion of a real model has besides: write them into the input with piece's writer
        List<GgufKeyValue> more = List.of(
                GgufKeyValue.string("general.name", "Tiny Llama"),
                GgufKeyValue.string("tokenizer.ggml.pre", "default"),
                GgufKeyValue.bool("tokenizer.ggml.add_eos_token", true),
                GgufKeyValue.u32("tokenizer.ggml.padding_token_id", 0),
                GgufKeyValue.string("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}"),
                GgufKeyValue.u32("general.quantization_version", 2));
        Path input = dir.resolve("input.gguf");
        try (Checkpoint c = Checkpoint.open(first)) {
            List<GgufKeyValue> all = new ArrayList<>(more);
            all.addAll(c.ggufKeys());
            ModelFiles.save(ModelFiles.fromCheckpoint(c, new RefBackend()), input, ModelFiles.Format.GGUF,
                    ModelFiles.SaveOptions.of("f32").withTokenizer(new GgufTokenizer(c.vocabulary().orElseThrow(), List.of())).withGgufKeys(all));
        }
        Map<String, GgufKeyValue> in = keysOf(input);
        for (GgufKeyValue kv : more) assertEquals(kv, in.get(kv.key()), "the input has " + kv.key());

        Path output = dir.resolve("output.gguf");
        PieceRun.of("convert", input.toString(), output.toString(), "--type", "f16").ok();
        Map<String, GgufKeyValue> out = keysOf(output);
        for (GgufKeyValue kv : in.values()) {
            if (kv.key().equals("general.file_type")) {
                assertEquals(GgufKeyValue.u32("general.file_type", 1), out.get(kv.key()), "redefined: the output is F16");
            } else {
                assertEquals(kv, out.get(kv.key()), kv.key() + " is kept with its type and value");
            }
        }
        assertEquals(in.keySet(), out.keySet(), "no key lost, none added");

        // a new --tokenizer replaces the whole tokenizer.* namespace; other keys stay
        Path retokenized = dir.resolve("retokenized.gguf");
        PieceRun.of("convert", input.toString(), retokenized.toString(), "--tokenizer", tokenizer("spm-tiny.tokenizer.json")).ok();
        Map<String, GgufKeyValue> re = keysOf(retokenized);
        assertFalse(re.containsKey("tokenizer.chat_template"), "the old tokenizer's chat template went with it");
        assertEquals(GgufKeyValue.bool("tokenizer.ggml.add_space_prefix", true), re.get("tokenizer.ggml.add_space_prefix"));
        assertEquals(in.get("general.name"), re.get("general.name"));
    }

    @Test
    void binOutputIsLlama2cLegacyByDefaultAndVersionedOnRequest() throws Exception {
        Path st = safetensors("st");
        float[] source;
        try (Checkpoint c = Checkpoint.open(st)) {
            source = c.tensor("layers.0.mlp.w_up").toFloatArray();
        }
        for (int version = -1; version <= 2; version++) {
            Path bin = dir.resolve("v" + version + ".bin");
            List<String> args = new ArrayList<>(List.of("convert", st.toString(), bin.toString()));
            if (version >= 0) args.addAll(List.of("--bin-version", Integer.toString(version)));
            PieceRun.of(args.toArray(String[]::new)).ok();
            ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(bin), 0, 8).order(ByteOrder.LITTLE_ENDIAN);
            int expectedVersion = Math.max(version, 0);
            if (expectedVersion == 0) {
                assertEquals(CONFIG.dim(), head.getInt(), "a legacy file starts with dim, no magic");
            } else {
                assertEquals(0x616b3432, head.getInt(), "magic ak42");
                assertEquals(expectedVersion, head.getInt(), "version");
            }
            try (Checkpoint c = Checkpoint.open(bin)) {
                assertEquals((long) expectedVersion, c.metadata().get("llama2c.version"));
                float[] read = c.tensor("layers.0.mlp.w_up").toFloatArray();
                if (expectedVersion < 2) {
                    assertArrayEquals(source, read, "float32 is exact");
                } else {
                    for (int i = 0; i < read.length; i++) {
                        assertEquals(source[i], read[i], 0.3 * 3 / 127.0, "int8 within half a step of a group whose max is a few std");
                    }
                }
            }
        }
        PieceRun bad = PieceRun.of("convert", st.toString(), dir.resolve("v3.bin").toString(), "--bin-version", "3");
        assertNotEquals(0, bad.exitCode());
        assertTrue(bad.err().contains("llama2.c version 3: expected 0 (legacy), 1 or 2 (int8)"), bad.err());
    }

    @Test
    void anUnrelatedConfigJsonIsNotOverwrittenUnlessIdenticalOrForced() throws Exception {
        Path st = safetensors("st");
        Path folder = Files.createDirectories(dir.resolve("other-model"));
        LlamaConfig other = new LlamaConfig(64, 4, 8, 8, 8, 128, 32000, 128, 1e-6f, 10000f, false, LlamaConfig.RopeLayout.HALF_SPLIT, null);
        HuggingFaceConfig.write(folder.resolve("config.json"), other, "bfloat16");
        byte[] before = Files.readAllBytes(folder.resolve("config.json"));
        Path out = folder.resolve("converted.safetensors");

        PieceRun refused = PieceRun.of("convert", st.toString(), out.toString());
        assertNotEquals(0, refused.exitCode());
        String message = folder.toAbsolutePath().resolve("config.json") + ": exists and is not this model's config.json"
                + " (dim 32, 1 layers, vocab 700, float32): refusing to replace it; write into another folder or give --force";
        assertTrue(refused.err().contains(message), refused.err());
        assertArrayEquals(before, Files.readAllBytes(folder.resolve("config.json")), "the other model's config.json is untouched");
        assertFalse(Files.exists(out), "nothing written");

        PieceRun.of("convert", st.toString(), out.toString(), "--force").ok();
        assertEquals(CONFIG, HuggingFaceConfig.read(folder.resolve("config.json")), "--force replaces it");
        PieceRun.of("convert", st.toString(), out.toString()).ok(); // now identical: written again without --force
    }
}
