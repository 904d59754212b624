package io.piece4j.piece.continual.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every chart kind writes a decodable 800 x 500 PNG, byte-identical for the same data and different for other data. */
class ChartsTest {
    @TempDir
    Path dir;

    private static final String[] TASKS = {"senti", "units", "arith"};
    private static final String[] METHODS = {"piece-s", "seqft"};

    /** Draws one chart kind; the scale argument changes the data. */
    private interface Drawing {
        void draw(double scale, Path png);
    }

    private static final List<Drawing> ALL_KINDS = List.of(
            (k, png) -> Charts.heatMap("R", new String[] {"after senti", "after units", "after arith"}, TASKS,
                    new double[][] {{0.9 * k, 0.1, 0.2}, {0.7, 0.95, Double.NaN}, {0.6, 0.8, 0.97}}, "%.2f", png),
            (k, png) -> Charts.bars("OP and BWT", new String[] {"OP", "BWT"}, METHODS,
                    new double[][] {{0.7 * k, -0.05}, {0.6, -0.3}}, new double[][] {{0.02, 0.01}, {0.03, 0.04}}, "score", png),
            (k, png) -> Charts.bars("OP", new String[] {"OP"}, METHODS, new double[][] {{0.7 * k}, {0.6}}, null, "score", png),
            (k, png) -> Charts.stackedBars("selected per layer", new String[] {"L0", "L1", "final"}, new String[] {"attn", "mlp", "norm"},
                    new double[][] {{10 * k, 20, 0}, {30, 5, 0}, {1, 2, 8}}, null, "count", png),
            (k, png) -> Charts.lines("probe", new String[] {"base", "senti", "units", "arith"}, METHODS,
                    new double[][] {{1, 0.99, 0.98 * k, 0.97}, {1, 0.8, 0.6, Double.NaN}}, null, "retention", png),
            (k, png) -> Charts.lines("probe", new String[] {"base", "senti"}, METHODS,
                    new double[][] {{1, 0.9 * k}, {1, 0.5}}, new double[][] {{0, 0.02}, {0, 0.05}}, "retention", png),
            (k, png) -> Charts.scatter("front", METHODS, new double[][] {{0.3 * k, 0.5}, {0.6, 0.9}},
                    new double[][] {{0.99, 0.97}, {0.9, 0.4}}, "task score", "probe retention", png));

    private static BufferedImage decode(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image != null, png + " does not decode as an image");
        return image;
    }

    @Test
    void everyKindWritesADecodablePngOfTheRequestedSize() throws IOException {
        for (int i = 0; i < ALL_KINDS.size(); i++) {
            Path png = dir.resolve("chart" + i + ".png");
            ALL_KINDS.get(i).draw(1, png);
            BufferedImage image = decode(png);
            assertEquals(Charts.WIDTH, image.getWidth(), "chart " + i + " width");
            assertEquals(Charts.HEIGHT, image.getHeight(), "chart " + i + " height");
            assertTrue(distinctColours(image) > 4, "chart " + i + " is nearly blank: " + distinctColours(image) + " colours");
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.toString().endsWith(".tmp")), "a temporary file was left behind");
        }
    }

    /** One task, so BWT and FWT are undefined (NaN) while OP has its spread over seeds: a run of one task drew this. */
    @Test
    void aMissingValueBesideErrorBarsLeavesAGapInsteadOfFailing() throws IOException {
        Path bars = dir.resolve("bars.png"), lines = dir.resolve("lines.png");
        Charts.bars("OP, BWT, FWT", new String[] {"OP", "BWT", "FWT"}, METHODS,
                new double[][] {{0.64, Double.NaN, Double.NaN}, {0.5, Double.NaN, Double.NaN}},
                new double[][] {{0.02, Double.NaN, Double.NaN}, {0.03, Double.NaN, Double.NaN}}, "score", bars);
        Charts.lines("probe", new String[] {"base", "senti", "units"}, METHODS, new double[][] {{1, 0.9, Double.NaN}, {1, 0.5, 0.4}},
                new double[][] {{0, 0.02, Double.NaN}, {0, 0.05, 0.01}}, "retention", lines);
        assertTrue(distinctColours(decode(bars)) > 4, "the OP bars are drawn");
        assertTrue(distinctColours(decode(lines)) > 4, "the lines are drawn");
    }

    @Test
    void theSameDataGiveTheSameBytes() throws IOException {
        for (int i = 0; i < ALL_KINDS.size(); i++) {
            Path a = dir.resolve("a" + i + ".png"), b = dir.resolve("b" + i + ".png");
            ALL_KINDS.get(i).draw(1, a);
            ALL_KINDS.get(i).draw(1, b);
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "chart " + i + " differs between two draws of the same data");
        }
    }

    @Test
    void differentDataGiveDifferentImages() throws IOException {
        for (int i = 0; i < ALL_KINDS.size(); i++) {
            Path a = dir.resolve("a" + i + ".png"), b = dir.resolve("b" + i + ".png");
            ALL_KINDS.get(i).draw(1, a);
            ALL_KINDS.get(i).draw(0.5, b);
            assertFalse(Arrays.equals(pixels(decode(a)), pixels(decode(b))), "chart " + i + " did not change when its data changed");
        }
    }

    @Test
    void aNaNHeatMapCellIsLeftBlankWhileAValueIsColoured() throws IOException {
        // one cell fills the plot; sample a point away from the number written at its centre
        Path nan = dir.resolve("nan.png"), value = dir.resolve("value.png");
        Charts.heatMap("one cell", new String[] {"r"}, new String[] {"c"}, new double[][] {{Double.NaN}}, "%.2f", nan);
        Charts.heatMap("one cell", new String[] {"r"}, new String[] {"c"}, new double[][] {{0.5}}, "%.2f", value);
        int x = 250, y = 150;
        assertEquals(0xFFFFFF, decode(nan).getRGB(x, y) & 0xFFFFFF, "NaN cell should be white");
        assertNotEquals(0xFFFFFF, decode(value).getRGB(x, y) & 0xFFFFFF, "a value cell should be coloured");
    }

    @Test
    void mismatchedShapesFailBeforeAnythingIsWritten() {
        Path png = dir.resolve("bad.png");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Charts.bars("t", TASKS, METHODS,
                new double[][] {{1, 2, 3}, {1, 2}}, null, "y", png));
        assertEquals("values[1] has length 2; expected 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Charts.heatMap("t", new String[] {"a"}, TASKS,
                new double[][] {{1, 2, 3}, {4, 5, 6}}, "%.2f", png));
        assertEquals("values (rows) has length 2; expected 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Charts.lines("t", TASKS, METHODS,
                new double[][] {{1, 2, 3}, {1, 2, 3}}, new double[][] {{1, 2, 3}}, "y", png));
        assertEquals("errors (series) has length 1; expected 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Charts.scatter("t", METHODS,
                new double[][] {{1}, {2}}, new double[][] {{1}, {2, 3}}, "x", "y", png));
        assertEquals("y[1] has length 2; expected 1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Charts.stackedBars("t", TASKS, METHODS,
                new double[][] {{1, 2, 3}, {1, 2, 3}}, new double[][] {{0, 0, 0}, {0, 0, 0}}, "y", png));
        assertEquals("stacked bars take no error bars: errors must be null", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Charts.heatMap("t", new String[] {"a"}, new String[] {"b"},
                new double[][] {{1}}, "%s", png));
        assertFalse(Files.exists(png), "a rejected chart must not write a file");
    }

    @Test
    void valueFormatsTranslateToDecimalPatterns() {
        assertEquals("0.00", Charts.decimalPattern("%.2f"));
        assertEquals("0", Charts.decimalPattern("%.0f"));
        assertEquals("0", Charts.decimalPattern("%d"));
        assertEquals("0.000000", Charts.decimalPattern("%f"));
        assertEquals("0.0##", Charts.decimalPattern("0.0##"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Charts.decimalPattern("%8.3e"));
        assertTrue(e.getMessage().contains("expected %.Nf, %d or a DecimalFormat pattern"), e.getMessage());
    }

    @Test
    void heatMapScaleEndsAreRoundedOutwardsToTheCellPrecision() {
        // XChart prints the ends with Double.toString: 0.12000000000000001 must print as 0.12
        assertEquals("0.12", Double.toString(Charts.roundTo("0.000", 0.1 + 0.02, java.math.RoundingMode.FLOOR)));
        assertEquals(0.13, Charts.roundTo("0.00", 0.1234, java.math.RoundingMode.CEILING));
        assertEquals(0.12, Charts.roundTo("0.00", 0.1299, java.math.RoundingMode.FLOOR));
        assertEquals(-0.3, Charts.roundTo("0.0", -0.25, java.math.RoundingMode.FLOOR));
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    private static long distinctColours(BufferedImage image) {
        return Arrays.stream(pixels(image)).distinct().count();
    }
}
