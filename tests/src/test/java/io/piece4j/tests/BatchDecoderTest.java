package io.piece4j.tests;

import io.piece4j.nn.generate.Generator;
import io.piece4j.nn.generate.Sampler;
import io.piece4j.nn.model.BatchDecoder;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Rng;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoding many prompts together gives each prompt the continuation one-at-a-time greedy decoding gives. */
class BatchDecoderTest {
    @ParameterizedTest
    @ValueSource(strings = {"ref", "simd"})
    void groupedGreedyEqualsOneAtATimeGreedy(String backend) {
        try (Backend be = Backends.create(backend, 2)) {
            LlamaModel m = TinyModels.model(be, 4);
            int vocab = m.config().vocabSize(), bos = 1, eos = 2;
            Rng rng = new Rng(8);
            List<int[]> prompts = new ArrayList<>();
            for (int i = 0; i < 11; i++) {
                int[] p = new int[1 + rng.nextInt(m.config().maxSeqLen() - 2)]; // lengths 1 .. context - 2
                p[0] = bos;
                for (int t = 1; t < p.length; t++) p[t] = 3 + rng.nextInt(vocab - 3);
                prompts.add(p);
            }
            prompts.add(new int[] {bos});
            int checkedTokens = 0;
            for (int maxNew : new int[] {1, 40}) {
                List<int[]> single = new ArrayList<>();
                for (int[] p : prompts) {
                    int[] seq = Generator.generate(m, p, p.length + maxNew, Sampler.greedy(), bos, eos, null);
                    single.add(Arrays.copyOfRange(seq, p.length, seq.length));
                }
                for (int group : new int[] {1, 5, 64}) {
                    List<int[]> grouped = BatchDecoder.greedy(m, prompts, maxNew, bos, eos, group);
                    for (int i = 0; i < prompts.size(); i++) {
                        assertArrayEquals(single.get(i), grouped.get(i), backend + ": prompt " + i + " (length " + prompts.get(i).length
                                + "), max new " + maxNew + ", group " + group);
                        checkedTokens += single.get(i).length;
                    }
                }
            }
            assertTrue(checkedTokens > 200, "the comparison must cover real continuations, got " + checkedTokens + " tokens");
        }
    }
}
