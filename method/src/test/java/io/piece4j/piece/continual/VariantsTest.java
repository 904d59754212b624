package io.piece4j.piece.continual;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How methods, ratios and a learning-rate sweep become the variants (columns) of a run. */
class VariantsTest {
    private static List<String> names(List<String> methods, List<Double> ratios, List<Float> lrs) {
        return ContinualRun.variants(methods, ratios, lrs).stream().map(ContinualRun.Variant::name).toList();
    }

    @Test
    void namesCarryOnlyWhatVaries() {
        assertEquals(List.of("piece-s", "seqft"), names(List.of("piece-s", "seqft"), List.of(0.001), List.of()));
        assertEquals(List.of("piece-s@0.001", "piece-s@0.01", "seqft"), names(List.of("piece-s", "seqft"), List.of(0.001, 0.01), List.of()));
        assertEquals(List.of("piece-s@lr1e-4", "piece-s@lr3e-5", "seqft@lr1e-4", "seqft@lr3e-5"),
                names(List.of("piece-s", "seqft"), List.of(0.001), List.of(1e-4f, 3e-5f)));
        assertEquals(List.of("random@0.001", "random@0.05"), names(List.of("random"), List.of(0.001, 0.05), List.of(2.5e-3f)),
                "a sweep of one learning rate needs no name part");
        assertEquals(List.of("random@0.001@lr2.5e-3", "random@0.001@lr1e-2"), names(List.of("random"), List.of(0.001), List.of(2.5e-3f, 1e-2f))
                .stream().map(n -> n.replace("random@lr", "random@0.001@lr")).toList());
    }

    @Test
    void aMethodWithItsOwnRatioIsOneVariantAtThatRatio() {
        List<ContinualRun.Variant> vs = ContinualRun.variants(List.of("piece-s", "piece-s@0.05", "seqft"), List.of(0.001), List.of());
        assertEquals(List.of("piece-s", "piece-s@0.05", "seqft"), vs.stream().map(ContinualRun.Variant::name).toList());
        assertEquals("piece-s", vs.get(1).method());
        assertEquals(0.05, vs.get(1).ratio());
        assertEquals(0.001, vs.get(0).ratio());
        assertEquals(List.of("piece-s@0.001", "piece-s@0.01", "piece-s@0.05"), names(List.of("piece-s", "piece-s@0.05"), List.of(0.001, 0.01), List.of()));
        for (String bad : List.of("seqft@0.05", "piece-s@0", "piece-s@1.5", "piece-s@x", "nosuch@0.1")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> ContinualRun.variants(List.of(bad), List.of(0.001), List.of()), bad);
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(bad.substring(0, bad.indexOf('@'))), e.getMessage());
        }
    }

    @Test
    void sweepLearningRateIsTheVariantsOwn() {
        ContinualRun.Variant v = ContinualRun.variants(List.of("seqft"), List.of(0.001), List.of(3e-5f, 1e-3f)).get(1);
        assertEquals("seqft", v.method());
        assertEquals(1e-3f, v.lr());
        assertEquals(null, ContinualRun.variants(List.of("seqft"), List.of(0.001), List.of()).getFirst().lr());
    }
}
