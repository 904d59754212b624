package io.piece4j.nn.format;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeLayout;
import io.piece4j.nn.format.SafetensorsFile.Data;
import io.piece4j.nn.format.SafetensorsFile.Dtype;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.piece4j.nn.format.FloatAssertions.assertBitsEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hugging Face Llama checkpoints: model.safetensors (or shards) with config.json. */
class SafetensorsCheckpointTest {
    @TempDir Path dir;

    private static final LlamaConfig HALF_SPLIT = TinyModels.config(RopeLayout.HALF_SPLIT, false);

    private Path writeModel(LlamaConfig config, List<NamedTensor> weights, Dtype dtype) throws IOException {
        Path p = dir.resolve("model.safetensors");
        SafetensorsWriter.write(p, config, weights, dtype);
        return p;
    }

    /** model.safetensors under Hugging Face names, written with the generic writer, plus a config.json. */
    private Path handMade(LlamaConfig config, Map<String, Data> tensors) throws IOException {
        HuggingFaceConfig.write(dir.resolve("config.json"), config, "float32");
        Path p = dir.resolve("model.safetensors");
        SafetensorsFile.write(p, tensors);
        return p;
    }

    private static Map<String, Data> hfTensors(List<NamedTensor> weights) {
        Map<String, Data> m = new LinkedHashMap<>();
        for (NamedTensor t : weights) m.put(TensorNames.toHuggingFace(t.name()), Data.f32(t.shape(), t.data()));
        return m;
    }

    private static String messageOf(Path p) {
        return assertThrows(CheckpointFormatException.class, () -> SafetensorsReader.read(p).close()).getMessage();
    }

    @Test
    void f32RoundTripIsBitExact() throws IOException {
        List<NamedTensor> weights = TinyModels.weights(HALF_SPLIT, 17);
        writeModel(HALF_SPLIT, weights, Dtype.F32);
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals("safetensors", c.format());
            assertEquals(HALF_SPLIT, c.config());
            for (NamedTensor w : weights) assertBitsEqual(w.data(), c.tensor(w.name()).toFloatArray(), w.name());
        }
    }

    @Test
    void f16AndBf16RoundTripsGiveTheRoundedValues() throws IOException {
        List<NamedTensor> weights = TinyModels.weights(HALF_SPLIT, 18);
        for (Dtype dtype : new Dtype[] {Dtype.F16, Dtype.BF16}) {
            Path p = dir.resolve(dtype.name()).resolve("model.safetensors"); // a folder each: config.json says the dtype
            SafetensorsWriter.write(p, HALF_SPLIT, weights, dtype);
            try (Checkpoint c = Checkpoint.open(p)) {
                for (NamedTensor w : weights) {
                    float[] expected = w.data().clone();
                    for (int i = 0; i < expected.length; i++) {
                        expected[i] = dtype == Dtype.F16 ? Float.float16ToFloat(Float.floatToFloat16(expected[i]))
                                : ElementCodec.bf16ToFloat(ElementCodec.floatToBf16(expected[i]));
                    }
                    assertEquals(ElementType.valueOf(dtype.name()), c.tensor(w.name()).sourceType());
                    assertBitsEqual(expected, c.tensor(w.name()).toFloatArray(), dtype + " " + w.name());
                }
            }
        }
        assertTrue(Files.readString(dir.resolve("F16/config.json")).contains("\"float16\""));
        assertTrue(Files.readString(dir.resolve("BF16/config.json")).contains("\"bfloat16\""));
    }

    @Test
    void aDifferentConfigJsonInTheFolderIsNeverReplacedUnlessAsked() throws IOException {
        Path p = dir.resolve("out/model.safetensors");
        LlamaConfig other = new LlamaConfig(16, 1, 4, 2, 4, 24, 11, 8, 1e-5f, 10000f, false, RopeLayout.HALF_SPLIT, null);
        HuggingFaceConfig.write(dir.resolve("out/config.json"), other, "float32");
        byte[] before = Files.readAllBytes(dir.resolve("out/config.json"));
        List<NamedTensor> weights = TinyModels.weights(HALF_SPLIT, 19);
        var e = assertThrows(java.nio.file.FileAlreadyExistsException.class, () -> SafetensorsWriter.write(p, HALF_SPLIT, weights, Dtype.F32));
        assertEquals(dir.resolve("out/config.json").toAbsolutePath() + ": exists and is not this model's config.json (dim 16, 2 layers,"
                + " vocab 11, float32): refusing to replace it; write into another folder or give --force", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("out/config.json")), "the other model's config.json is untouched");
        assertFalse(Files.exists(p), "nothing is written when the config is refused");

        SafetensorsWriter.write(p, HALF_SPLIT, weights, Dtype.F32, true);
        assertEquals(HALF_SPLIT, HuggingFaceConfig.read(dir.resolve("out/config.json")), "replaced when asked");
        SafetensorsWriter.write(p, HALF_SPLIT, weights, Dtype.F32); // this model's own config.json: written again freely
        assertEquals(HALF_SPLIT, HuggingFaceConfig.read(dir.resolve("out/config.json")));
    }

    @Test
    void interleavedWeightsAreWrittenHalfSplit() throws IOException {
        LlamaConfig interleaved = TinyModels.config(RopeLayout.INTERLEAVED, false);
        List<NamedTensor> weights = TinyModels.weights(interleaved, 19);
        writeModel(interleaved, weights, Dtype.F32);
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(RopeLayout.HALF_SPLIT, c.config().ropeLayout());
            assertBitsEqual(RopePermutation.interleavedToHalfSplit(TinyModels.find(weights, "layers.0.attn.wq").data(), 16, 16, 4),
                    c.tensor("layers.0.attn.wq").toFloatArray(), "wq");
            assertBitsEqual(RopePermutation.interleavedToHalfSplit(TinyModels.find(weights, "layers.0.attn.wk").data(), 8, 16, 2),
                    c.tensor("layers.0.attn.wk").toFloatArray(), "wk");
        }
    }

    @Test
    void tiedModelIsWrittenWithoutLmHead() throws IOException {
        LlamaConfig tied = TinyModels.config(RopeLayout.HALF_SPLIT, true);
        Path p = writeModel(tied, TinyModels.weights(tied, 20), Dtype.F32);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertFalse(f.contains("lm_head.weight"));
            assertEquals("pt", f.metadata().get("format"), "transformers needs format=pt");
        }
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertTrue(c.config().tiedEmbeddings());
        }
    }

    @Test
    void lmHeadInATiedCheckpointIsIgnored() throws IOException {
        LlamaConfig tied = TinyModels.config(RopeLayout.HALF_SPLIT, true);
        Map<String, Data> tensors = hfTensors(TinyModels.weights(tied, 21));
        tensors.put("lm_head.weight", Data.f32(new int[] {11, 16}, new float[176]));
        try (Checkpoint c = Checkpoint.open(handMade(tied, tensors))) {
            assertEquals(tied.parameterSpecs().size(), c.tensors().size());
        }
    }

    @Test
    void shardedCheckpointIsReadThroughItsIndex() throws IOException {
        List<NamedTensor> weights = TinyModels.weights(HALF_SPLIT, 22);
        Map<String, Data> first = new LinkedHashMap<>(), second = new LinkedHashMap<>();
        StringBuilder map = new StringBuilder();
        for (NamedTensor t : weights) {
            String hf = TensorNames.toHuggingFace(t.name());
            boolean early = t.name().startsWith("layers.0") || t.name().equals("tok_embeddings");
            (early ? first : second).put(hf, Data.f32(t.shape(), t.data()));
            map.append(map.isEmpty() ? "" : ",").append('"').append(hf).append("\":\"")
                    .append(early ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors").append('"');
        }
        SafetensorsFile.write(dir.resolve("model-00001-of-00002.safetensors"), first);
        SafetensorsFile.write(dir.resolve("model-00002-of-00002.safetensors"), second);
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        HuggingFaceConfig.write(dir.resolve("config.json"), HALF_SPLIT, "float32");
        try (Checkpoint c = Checkpoint.open(dir)) {
            for (NamedTensor w : weights) assertBitsEqual(w.data(), c.tensor(w.name()).toFloatArray(), w.name());
        }
    }

    @Test
    void shardNamesOutsideTheFolderAreRefused() throws IOException {
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"model.norm.weight\":\"../elsewhere.safetensors\"}}");
        HuggingFaceConfig.write(dir.resolve("config.json"), HALF_SPLIT, "float32");
        String m = messageOf(dir);
        assertEquals("model.safetensors.index.json: weight_map.model.norm.weight = \"../elsewhere.safetensors\": expected the name"
                + " of a .safetensors file in the same folder", m);
    }

    @Test
    void missingConfigJsonIsNamed() throws IOException {
        SafetensorsFile.write(dir.resolve("model.safetensors"), hfTensors(TinyModels.weights(HALF_SPLIT, 1)));
        assertTrue(messageOf(dir.resolve("model.safetensors")).startsWith("model.safetensors: no config.json beside it"));
    }

    @Test
    void tensorShapeThatDisagreesWithTheConfig() throws IOException {
        Map<String, Data> tensors = hfTensors(TinyModels.weights(HALF_SPLIT, 1));
        tensors.put("model.layers.1.self_attn.k_proj.weight", Data.f32(new int[] {16, 16}, new float[256]));
        String m = messageOf(handMade(HALF_SPLIT, tensors));
        assertTrue(m.startsWith("model.safetensors: tensor 'model.layers.1.self_attn.k_proj.weight' shape [16, 16]: expected [8, 16]"), m);
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Map<String, Data> tensors = hfTensors(TinyModels.weights(HALF_SPLIT, 1));
        tensors.remove("model.norm.weight");
        assertEquals("model.safetensors: tensor 'model.norm.weight' is missing: expected norm of shape [16] for this config",
                messageOf(handMade(HALF_SPLIT, tensors)));
    }

    @Test
    void tensorsOfAnotherArchitectureAreRefused() throws IOException {
        Map<String, Data> tensors = hfTensors(TinyModels.weights(HALF_SPLIT, 1));
        tensors.put("model.layers.0.self_attn.q_proj.bias", Data.f32(new int[] {16}, new float[16]));
        assertEquals("model.safetensors: tensor 'model.layers.0.self_attn.q_proj.bias' is not a parameter of a Llama model:"
                + " expected Hugging Face Llama names such as model.layers.0.self_attn.q_proj.weight", messageOf(handMade(HALF_SPLIT, tensors)));
    }

    @Test
    void integerWeightsAreRefused() throws IOException {
        Map<String, Data> tensors = hfTensors(TinyModels.weights(HALF_SPLIT, 1));
        tensors.put("model.norm.weight", Data.i32(new int[] {16}, new int[16]));
        assertEquals("model.safetensors: tensor 'model.norm.weight' dtype I32: expected one of F32, F16, BF16",
                messageOf(handMade(HALF_SPLIT, tensors)));
    }

    @Test
    void rotaryInverseFrequencyBuffersOfOldExportsAreSkipped() throws IOException {
        Map<String, Data> tensors = hfTensors(TinyModels.weights(HALF_SPLIT, 1));
        tensors.put("model.layers.0.self_attn.rotary_emb.inv_freq", Data.f32(new int[] {2}, new float[] {1, 0.01f}));
        try (Checkpoint c = Checkpoint.open(handMade(HALF_SPLIT, tensors))) {
            assertEquals(HALF_SPLIT.parameterSpecs().size(), c.tensors().size());
        }
    }

    @Test
    void writerRefusesTensorsThatDoNotMatchTheConfig() {
        List<NamedTensor> weights = new java.util.ArrayList<>(TinyModels.weights(HALF_SPLIT, 1));
        weights.removeLast();
        var e = assertThrows(IllegalArgumentException.class, () -> writeModel(HALF_SPLIT, weights, Dtype.F32));
        assertEquals("tensors do not match the config: missing [output], unexpected []", e.getMessage());
    }
}
