package io.piece4j.tests;

import io.piece4j.nn.toy.LagCopyTransformer;
import io.piece4j.nn.toy.TinyMlp;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BackendProvider;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End-to-end: autograd, kernels and AdamW together make small models learn, on every backend, and the
 * same seed gives the same losses bit for bit (run twice; and with 1 and 2 threads).
 */
class ToyModelsLearnTest {
    static Stream<String> backends() {
        return Backends.providers().stream().filter(BackendProvider::isAvailable).map(BackendProvider::name);
    }

    private static float mean(float[] l, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += l[i];
        return (float) (s / (to - from));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void twoLayerMlpLearnsFourRegionsAndRepeatsBitForBit(String name) {
        float[] first, second;
        try (Backend be = Backends.create(name, 2)) { first = TinyMlp.train(be, 7, 300); }
        try (Backend be = Backends.create(name, 2)) { second = TinyMlp.train(be, 7, 300); }
        float start = mean(first, 0, 10), end = mean(first, 280, 300);
        assertTrue(end < start / 5, "MLP loss should fall at least 5x: first 10 steps " + start + ", last 20 steps " + end);
        assertArrayEquals(first, second, "same seed, same backend: losses must be bit-identical");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void oneBlockTransformerLearnsLagCopyAndRepeatsBitForBit(String name) {
        float[] first, second, oneThread;
        try (Backend be = Backends.create(name, 2)) { first = LagCopyTransformer.train(be, 3, 150, 16); }
        try (Backend be = Backends.create(name, 2)) { second = LagCopyTransformer.train(be, 3, 150, 16); }
        try (Backend be = Backends.create(name, 1)) { oneThread = LagCopyTransformer.train(be, 3, 150, 16); }
        float start = mean(first, 0, 5), end = mean(first, 140, 150);
        assertTrue(start > 1.8 && end < start / 20, "lag-copy loss should fall from about ln 8 = 2.08 by 20x: first 5 steps "
                + start + ", last 10 steps " + end + " (" + Arrays.toString(Arrays.copyOf(first, 5)) + ")");
        assertArrayEquals(first, second, "same seed, same backend: losses must be bit-identical");
        assertArrayEquals(first, oneThread, "1 thread and 2 threads must give bit-identical losses");
    }
}
