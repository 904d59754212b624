package io.piece4j.tests;

import io.piece4j.backend.simd.SimdBackend;
import io.piece4j.cli.PieceCli;
import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.json.JsonReader;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.piece.bundled.BundledBase;
import io.piece4j.piece.bundled.BundledBenchmark;
import io.piece4j.tensor.cpu.RefBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed base model: one file of at most 8 MB, the shape its run record states, and reproducible: the
 * recorded `piece pretrain` command, stopped after two steps, gives the record's first losses and weights bit for bit.
 */
class BundledBaseTest {
    @SuppressWarnings("unchecked")
    private static Map<String, Object> record() throws Exception {
        return (Map<String, Object>) JsonReader.parse(BundledBase.record());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theBaseIsOneFileOfAtMost8MBWithTheRecordedShape() throws Exception {
        Path file = BundledBase.extract(Files.createTempDirectory("base"));
        assertTrue(Files.size(file) <= 8_000_000, "the committed model takes " + Files.size(file) + " bytes");
        Map<String, Object> rec = record();
        Map<String, Object> c = (Map<String, Object>) rec.get("config");
        LlamaConfig config = ModelFiles.load(file, new RefBackend()).config();
        assertEquals(((Long) c.get("dim")).intValue(), config.dim());
        assertEquals(((Long) c.get("layers")).intValue(), config.layers());
        assertEquals(((Long) c.get("hidden")).intValue(), config.hiddenDim());
        assertEquals(((Long) c.get("seq")).intValue(), config.maxSeqLen());
        assertEquals(259, config.vocabSize(), "the byte tokenizer's ids");
        assertEquals((Long) rec.get("parameters"), config.parameterCount());
        assertEquals(rec.get("steps_planned"), rec.get("steps"), "the committed run ran its whole schedule");
        assertEquals(file, BundledBase.extract(file.getParent()), "a second extraction finds the same bytes in place");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theRecordedCommandStoppedAfterTwoStepsReproducesItsFirstLossesAndWeights() throws Exception {
        Map<String, Object> rec = record();
        int threads = ((Long) rec.get("threads")).intValue();
        String recorded = (String) rec.get("backend_description");
        try (SimdBackend here = new SimdBackend(threads)) {
            // the SIMD backend's sums depend on its vector width (bit-identical for any thread count, not any width)
            Assumptions.assumeTrue(recorded.equals(here.description()), "the base was pretrained on '" + recorded + "'; this machine runs '"
                    + here.description() + "': another vector width gives other bits");
        }
        Path dir = Files.createTempDirectory("repro");
        BundledBenchmark.generate(BundledBenchmark.DEFAULT_SEED, dir.resolve("bundled"));
        Path out = dir.resolve("first-steps.gguf");
        List<String> args = new ArrayList<>();
        List<String> words = Arrays.asList(((String) rec.get("command_line")).split(" "));
        assertEquals(List.of("piece", "pretrain"), words.subList(0, 2));
        for (int i = 1; i < words.size(); i++) {
            String w = words.get(i);
            switch (w) {
                case "--heldout", "--eval-every", "--log-every", "--checkpoint-every" -> i++;      // reporting and saving only
                case "--resume" -> { }                                                            // the run was resumed once; this one starts afresh
                case "--corpus" -> { args.add(w); args.add(dir.resolve("bundled/corpus/train.txt").toString()); i++; }
                case "--out" -> { args.add(w); args.add(out.toString()); i++; }
                default -> args.add(w);
            }
        }
        args.addAll(List.of("--stop-after", "2"));
        PrintStream old = System.out;
        int code;
        try (PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
            System.setOut(quiet);
            code = PieceCli.commandLine().execute(args.toArray(String[]::new));
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code, "piece " + String.join(" ", args));
        Map<String, Object> again = (Map<String, Object>) JsonReader.parse(Files.readString(Path.of(out + ".json")));
        assertEquals(rec.get("corpus_sha256"), again.get("corpus_sha256"), "the generated corpus is the one the base learned");
        List<Object> want = ((List<Object>) rec.get("losses")).subList(0, 2), got = (List<Object>) again.get("losses");
        assertEquals(want, got, "losses of steps 1 and 2, bit for bit");
        Map<String, Object> wantHashes = (Map<String, Object>) rec.get("weights_sha256_after_step");
        Map<String, Object> gotHashes = (Map<String, Object>) again.get("weights_sha256_after_step");
        // a resumed run records the weights' hashes only of the steps it ran itself; equal losses at step 2 already need
        // equal weights after step 1
        for (String step : List.of("1", "2")) {
            if (wantHashes.containsKey(step)) assertEquals(wantHashes.get(step), gotHashes.get(step), "weights after step " + step);
        }
    }
}
