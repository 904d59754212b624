package io.piece4j.bench;

import io.piece4j.bench.ComparisonTable.Direction;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How `bench compare` judges a ratio against its target, and how a missing reference shows. */
class ComparisonTableTest {
    @Test
    void aSpeedRatioMeetsAnAtLeastTargetOnlyWhenItReachesIt() {
        ComparisonTable t = new ComparisonTable();
        t.add("sgemm", "GFLOP/s", 300, "OpenBLAS", 350, Direction.AT_LEAST, 0.95, "");
        t.add("sgemm big", "GFLOP/s", 340, "OpenBLAS", 350, Direction.AT_LEAST, 0.95, "");
        assertEquals(300.0 / 350, t.rows().get(0).ratio(), 1e-12);
        assertEquals(Boolean.FALSE, t.rows().get(0).met(), "0.857x misses >= 0.95x");
        assertEquals(Boolean.TRUE, t.rows().get(1).met(), "0.971x meets >= 0.95x");
        String md = t.toMarkdown();
        assertTrue(md.contains("| sgemm | GFLOP/s | 300 | OpenBLAS | 350 | 0.857x | >= 0.95x | MISSED |"), md);
        assertTrue(md.contains("| 0.971x | >= 0.95x | met |"), md);
    }

    @Test
    void aTimeRatioMeetsAnAtMostTargetWhenItStaysBelow() {
        ComparisonTable t = new ComparisonTable();
        t.add("masked vs full", "s/step", 1.2, "full", 2.0, Direction.AT_MOST, 0.6, "");
        t.add("masked vs full, slow", "s/step", 1.5, "full", 2.0, Direction.AT_MOST, 0.6, "");
        assertEquals(Boolean.TRUE, t.rows().get(0).met(), "0.6x is within <= 0.6x");
        assertEquals(Boolean.FALSE, t.rows().get(1).met(), "0.75x is not");
    }

    @Test
    void aMissingReferenceIsShownAsMissingAndJudgedNeitherWay() {
        ComparisonTable t = new ComparisonTable();
        t.add("training step", "tokens/s", 1200, "PyTorch", Double.NaN, Direction.AT_LEAST, 3, "");
        t.info("generation", "tokens/s", 650, "llama2.c run", 540, "");
        assertNull(t.rows().get(0).met());
        String md = t.toMarkdown();
        assertTrue(md.contains("| training step | tokens/s | 1200 | PyTorch | missing | n/a | >= 3x | n/a (reference missing) |"), md);
        assertTrue(md.contains("| generation | tokens/s | 650 | llama2.c run | 540 | 1.20x |  |  |"), "a row without a target has no verdict: " + md);
        String json = t.toRecords().get(0).toJson();
        assertTrue(json.contains("\"reference_value\":null") && json.contains("\"met\":null") && json.contains("\"piece4j\":1200.0"), json);
    }
}
