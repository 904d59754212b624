package io.piece4j.backend.simd;

import io.piece4j.tensor.spi.RopeLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static io.piece4j.backend.simd.KernelCheck.check;
import static io.piece4j.backend.simd.KernelCheck.gaussian;

/** Rotary embedding of the SIMD backend against the reference: both layouts, inverse, accumulate, in place. */
class SimdRopeTest {
    static final int BATCH = 2, SEQ = 5, HEADS = 3, MAX_SEQ = 12, POS_OFFSET = 4;

    static Stream<Arguments> cases() {
        return Arrays.stream(RopeLayout.values()).flatMap(layout -> Stream.of(2, 6, 32, 34, 64, 66)
                .flatMap(hd -> Stream.of(false, true).flatMap(inverse -> Stream.of(false, true)
                        .map(accumulate -> Arguments.of(layout, hd, inverse, accumulate)))));
    }

    /** Tables as a model builds them: angle p * 10000^(-2i / headDim). */
    static float[][] tables(int hd) {
        int half = hd / 2;
        float[] cos = new float[MAX_SEQ * half], sin = new float[MAX_SEQ * half];
        for (int p = 0; p < MAX_SEQ; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * Math.pow(10000, -2.0 * i / hd);
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
        return new float[][]{cos, sin};
    }

    @ParameterizedTest(name = "{0} headDim {1} inverse {2} accumulate {3}")
    @MethodSource("cases")
    void ropeMatchesReference(RopeLayout layout, int hd, boolean inverse, boolean accumulate) {
        Random rng = new Random(hd * 4L + (inverse ? 2 : 0) + (accumulate ? 1 : 0));
        int n = BATCH * SEQ * HEADS * hd, half = hd / 2;
        float[] x = gaussian(rng, n, 1), y0 = gaussian(rng, n, 1);
        float[][] cs = tables(hd);
        String what = "rope " + layout + " headDim " + hd + (inverse ? " inverse" : "") + (accumulate ? " accumulate" : "");
        check(what, t -> t.backend.rope(t.in(x, BATCH, SEQ, HEADS, hd), t.out("y", y0, BATCH, SEQ, HEADS, hd),
                t.in(cs[0], MAX_SEQ, half), t.in(cs[1], MAX_SEQ, half), BATCH, SEQ, HEADS, hd, POS_OFFSET, layout, inverse, accumulate));
        if (!accumulate) {
            check(what + " in place", t -> {
                var xy = t.out("xy", x, BATCH, SEQ, HEADS, hd);
                t.backend.rope(xy, xy, t.in(cs[0], MAX_SEQ, half), t.in(cs[1], MAX_SEQ, half), BATCH, SEQ, HEADS, hd,
                        POS_OFFSET, layout, inverse, false);
            });
        }
    }
}
