package io.piece4j.nn.model;

import io.piece4j.nn.LlamaConfig;
import io.piece4j.nn.LlamaConfig.RopeScaling;
import io.piece4j.tensor.cpu.RefBackend;
import io.piece4j.tensor.ops.RopeTable;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Llama 3.1's RoPE frequency scaling against independent values (nn/src/test/resources/rope/make_llama3_rope.py:
 * transformers' float32 computation and llama.cpp's rope_freqs divisors, written from the published formula) for
 * Llama 3.1 8B, Llama 3.2 1B and a small head with two frequencies in the interpolated band. The model's own path is
 * checked: the frequencies are read back from the RoPE table a LlamaModel built from the config, not from the
 * function that computes them.
 */
class Llama3RopeScalingTest {
    /** One case of the golden file. */
    record Case(String name, int headDim, float theta, RopeScaling scaling, double[] invFreq, double[] divisors) {}

    static List<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        try (InputStream in = Llama3RopeScalingTest.class.getResourceAsStream("/rope/llama3_rope.txt")) {
            String[] lines = new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n");
            for (int i = 0; i + 2 < lines.length; i += 3) {
                String[] c = lines[i].split(" ");
                assertEquals("case", c[0], "line " + (i + 1));
                RopeScaling s = new RopeScaling(Float.parseFloat(c[4]), Float.parseFloat(c[5]), Float.parseFloat(c[6]), Integer.parseInt(c[7]));
                out.add(new Case(c[1], Integer.parseInt(c[2]), Float.parseFloat(c[3]), s, values(lines[i + 1], "inv_freq"), values(lines[i + 2], "divisors")));
            }
        }
        assertEquals(3, out.size(), "cases in llama3_rope.txt");
        return out;
    }

    private static double[] values(String line, String key) {
        String[] f = line.split(" ");
        assertEquals(key, f[0]);
        return Arrays.stream(f, 1, f.length).mapToDouble(Double::parseDouble).toArray();
    }

    private static LlamaConfig config(Case c, RopeScaling scaling) {
        return new LlamaConfig(c.headDim(), 1, 1, 1, c.headDim(), 2, 3, 2, 1e-5f, c.theta(), true, LlamaConfig.RopeLayout.HALF_SPLIT, scaling);
    }

    /** The frequencies a model uses, read back from its RoPE table: at position 1 the angle is the float32 frequency. */
    private static double[] frequenciesOfTheModel(LlamaConfig config) {
        LlamaModel m = new LlamaModel(config, new RefBackend());
        RopeTable t = m.ropeTable();
        int half = config.headDim() / 2;
        float[] sin = t.sin().toArray(), cos = t.cos().toArray(); // (maxSeq, half)
        double[] f = new double[half];
        for (int i = 0; i < half; i++) f[i] = Math.atan2(sin[half + i], cos[half + i]);
        return f;
    }

    /**
     * |got - want| <= 4e-7 x want: the frequency is a float32 (an ulp is up to 1.2e-7 of it) whose sin and cos are
     * stored as float32 (reading the angle back costs about one more); the worst measured is 1.4e-7, about a third.
     */
    @Test
    void theModelRotatesByTransformersScaledFrequencies() throws IOException {
        for (Case c : cases()) {
            double[] got = frequenciesOfTheModel(config(c, c.scaling()));
            double[] plain = frequenciesOfTheModel(config(c, null));
            int scaled = 0;
            for (int i = 0; i < got.length; i++) {
                double want = c.invFreq()[i], err = Math.abs(got[i] - want) / want;
                if (!(err <= 4e-7)) {
                    fail(c.name() + ": frequency " + i + " of the model is " + got[i] + ", transformers " + want + " (relative error " + err + ")");
                }
                if (Math.abs(plain[i] - want) > 1e-3 * want) scaled++;
            }
            long expectedScaled = Arrays.stream(c.divisors()).filter(d -> d > 1).count();
            assertEquals(expectedScaled, scaled, c.name() + ": frequencies that scaling changes (the unscaled model differs there)");
            assertTrue(scaled > 0, c.name() + ": the case must scale some frequencies");
        }
    }

    @Test
    void divisorsAreLlamaCppRopeFreqs() throws IOException {
        for (Case c : cases()) {
            double[] f = RopeTable.standardFrequencies(c.headDim(), c.theta());
            for (int i = 0; i < f.length; i++) {
                double want = c.divisors()[i], got = c.scaling().divisor(f[i]);
                assertTrue(Math.abs(got - want) <= 1e-6 * want, c.name() + ": divisor " + i + " is " + got + ", llama.cpp " + want);
                double ratio = f[i] / c.scaling().scale(f[i]);
                assertTrue(Math.abs(ratio - got) <= 1e-12 * got, c.name() + ": frequency / scaled frequency " + ratio + " vs divisor " + got);
            }
        }
    }
}
