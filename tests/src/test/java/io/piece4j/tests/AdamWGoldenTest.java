package io.piece4j.tests;

import io.piece4j.nn.format.SafetensorsFile;
import io.piece4j.nn.optim.AdamW;
import io.piece4j.nn.optim.GradientClipping;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Dense AdamW (with GradientClipping) and MaskedAdamW against torch.optim.AdamW after torch.nn.utils.clip_grad_norm_
 * (tests/golden/make_golden.py, float64), one and two steps: step 1's gradient is clipped, step 2's is not. The
 * masked optimizer is checked on a full mask (then it is dense AdamW) and on 300 of the 1000 coordinates (torch's
 * AdamW run on those coordinates alone; the others must keep their bits).
 *
 * <p>Tolerance, on the update: |p - p_torch| <= 4 x eps32 x max |p_torch - p0|, 4 x the worst measured (0.86, on ref
 * and on simd at 16, 8 and 4 lanes; {@code -Dpiece.golden.report=true} prints it), plus 1.5 float32 ulps of the
 * parameter per step: float32 AdamW rounds the decay factor 1 - lr * wd, the decayed parameter and the updated one.
 * Gradient norms (summed in double on both sides, stored as float32 in the golden file): one float32 ulp.
 */
class AdamWGoldenTest {
    private static final double EPS32 = 0x1p-23, UPDATE_ULPS = 4;
    private static SafetensorsFile golden;
    private static float lr, beta1, beta2, eps, weightDecay, maxNorm;
    private static double worst;

    @BeforeAll
    static void open() throws Exception {
        golden = SafetensorsFile.open(Path.of(AdamWGoldenTest.class.getResource("/golden/adamw/expected.safetensors").toURI()));
        float[] s = golden.readFloats("settings");
        lr = s[0]; beta1 = s[1]; beta2 = s[2]; eps = s[3]; weightDecay = s[4]; maxNorm = s[5];
    }

    @AfterAll
    static void close() {
        golden.close();
        if (Boolean.getBoolean("piece.golden.report")) System.out.printf("adamw worst update error %.3f x eps32 x max |update|%n", worst);
    }

    static Stream<String> backends() { return TestBackends.all(); }

    private static void assertUpdateClose(String what, int steps, float[] p0, float[] want, float[] got) {
        double maxUpdate = 0;
        for (int i = 0; i < want.length; i++) maxUpdate = Math.max(maxUpdate, Math.abs((double) want[i] - p0[i]));
        for (int i = 0; i < want.length; i++) {
            double err = Math.max(0, Math.abs((double) got[i] - want[i]) - 1.5 * steps * Math.ulp(want[i]));
            double ratio = err / (EPS32 * maxUpdate);
            worst = Math.max(worst, ratio);
            if (!(ratio <= UPDATE_ULPS)) {
                fail(what + ": coordinate " + i + " is " + got[i] + ", torch " + want[i] + " (from " + p0[i] + "): error " + err + " = "
                        + ratio + " x eps32 x max |update| " + maxUpdate + ", limit " + UPDATE_ULPS);
            }
        }
    }

    private static void assertNormClose(String what, double want, double got) {
        assertTrue(Math.abs(got - want) <= Math.ulp((float) want), what + ": gradient norm " + got + ", torch " + want);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void denseAdamWWithClippingMatchesTorchForTwoSteps(String backend) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            float[] p0 = golden.readFloats("params0"), norms = golden.readFloats("dense.grad_norms");
            Tensor p = Tensor.of(be, p0, p0.length), g = Tensor.zeros(be, p0.length);
            p.setGrad(g);
            AdamW opt = new AdamW(List.of(p), new AdamW.Settings(lr, beta1, beta2, eps, weightDecay));
            for (int step = 1; step <= 2; step++) {
                g.copyFrom(golden.readFloats("grad." + step));
                assertNormClose(backend + " step " + step, norms[step - 1], GradientClipping.clip(List.of(p), maxNorm));
                opt.step();
                assertUpdateClose(backend + " AdamW step " + step, step, p0, golden.readFloats("dense.step" + step), p.toArray());
            }
        }
    }

    private static float[] runMasked(Backend be, int[] idx, String what) throws Exception {
        float[] p0 = golden.readFloats("params0");
        Tensor p = Tensor.of(be, p0, p0.length), g = Tensor.zeros(be, p0.length);
        Mask mask = new Mask(idx, p0.length, p0.length, (double) idx.length / p0.length, "golden", "adamw", "", 0, 0);
        MaskedAdamW opt = new MaskedAdamW(p, g, mask, new MaskedAdamW.Settings(beta1, beta2, eps, weightDecay, maxNorm));
        String prefix = idx.length == p0.length ? "dense" : "masked";
        float[] norms = golden.readFloats(prefix + ".grad_norms");
        for (int step = 1; step <= 2; step++) {
            g.copyFrom(golden.readFloats("grad." + step));
            assertNormClose(what + " step " + step, norms[step - 1], opt.step(lr));
            assertUpdateClose(what + " step " + step, step, p0, golden.readFloats(prefix + ".step" + step), p.toArray());
        }
        return p.toArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void maskedAdamWOnAFullMaskMatchesTorchAdamW(String backend) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            runMasked(be, IntStream.range(0, golden.readFloats("params0").length).toArray(), backend + " MaskedAdamW, full mask");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void maskedAdamWMatchesTorchAdamWOnTheMaskedCoordinates(String backend) throws Exception {
        try (Backend be = Backends.create(backend, 2)) {
            long[] wide = golden.readLongs("mask_indices");
            int[] idx = new int[wide.length];
            for (int i = 0; i < idx.length; i++) idx[i] = (int) wide[i];
            float[] p0 = golden.readFloats("params0");
            float[] after = runMasked(be, idx, backend + " MaskedAdamW, 300 of 1000");
            int changed = 0;
            for (int i = 0, j = 0; i < p0.length; i++) {
                boolean masked = j < idx.length && idx[j] == i;
                if (masked) j++;
                boolean same = Float.floatToRawIntBits(p0[i]) == Float.floatToRawIntBits(after[i]);
                if (!masked && !same) fail(backend + ": coordinate " + i + " is not masked but changed from " + p0[i] + " to " + after[i]);
                if (masked && !same) changed++;
            }
            assertEquals(idx.length, changed, "every masked coordinate moves");
        }
    }
}
