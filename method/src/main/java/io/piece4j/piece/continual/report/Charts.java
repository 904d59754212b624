package io.piece4j.piece.continual.report;

import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.HeatMapStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The charts of a continual run as 800 x 500 PNG files, drawn with XChart off screen. Every chart is a
 * pure function of its arguments: the same data give the same bytes (no time stamps, a fixed palette,
 * fonts by logical name). Arrays are indexed [series][category] (or [row][column] for the heat map); a
 * NaN value is left out of the drawing (a blank cell, a missing bar or point). Shapes are checked before
 * anything is drawn, and a mismatch fails naming the argument and the expected length.
 */
public final class Charts {
    public static final int WIDTH = 800;
    public static final int HEIGHT = 500;

    /** Tableau 10: distinguishable, and readable for the common colour-vision deficiencies. */
    private static final Color[] PALETTE = {
            new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x76B7B2), new Color(0x59A14F),
            new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7), new Color(0x9C755F), new Color(0xBAB0AC)};
    /** Heat map scale, low to high: light enough at the top that black numbers stay readable on every cell. */
    private static final Color[] HEAT_SCALE = {new Color(0xFFFFD9), new Color(0xC7E9B4), new Color(0x7FCDBB), new Color(0x41B6C4)};

    private static final Pattern PRINTF_FIXED = Pattern.compile("%(d)|%(?:\\.(\\d+))?f");

    private static final String FONT = Font.SANS_SERIF;
    private static final Font TITLE_FONT = new Font(FONT, Font.BOLD, 17);
    private static final Font AXIS_TITLE_FONT = new Font(FONT, Font.PLAIN, 14);
    private static final Font TICK_FONT = new Font(FONT, Font.PLAIN, 13);
    private static final Font LEGEND_FONT = new Font(FONT, Font.PLAIN, 13);
    private static final Font CELL_FONT = new Font(FONT, Font.PLAIN, 13);

    private Charts() {}

    /**
     * A heat map of values[row][column] with rowLabels top to bottom, each cell's number written with
     * valueFormat, and a colour scale from the smallest to the largest finite value. NaN cells stay blank.
     * valueFormat is "%.Nf" or "%d" as for {@link String#format}, or a {@link DecimalFormat} pattern such
     * as "0.00" (XChart formats cell values with DecimalFormat, which rounds half to even).
     */
    public static void heatMap(String title, String[] rowLabels, String[] colLabels, double[][] values, String valueFormat, Path png) {
        requireLength("values (rows)", values.length, rowLabels.length);
        for (int r = 0; r < values.length; r++) requireLength("values[" + r + "]", values[r].length, colLabels.length);
        String cellPattern = decimalPattern(valueFormat);   // a bad pattern fails here, before any file is touched

        // XChart puts y index 0 at the bottom; the first row belongs at the top, as in a printed matrix
        List<String> ys = new ArrayList<>(Arrays.asList(rowLabels));
        Collections.reverse(ys);
        List<Number[]> cells = new ArrayList<>();
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < values.length; r++) {
            for (int c = 0; c < colLabels.length; c++) {
                double v = values[r][c];
                if (!Double.isFinite(v)) continue;
                cells.add(new Number[] {c, rowLabels.length - 1 - r, v});
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (cells.isEmpty()) {
            // XChart rejects an empty series but skips cells outside the grid: an all-NaN map draws blank
            cells.add(new Number[] {colLabels.length, rowLabels.length, 0});
            min = 0;
            max = 1;
        }
        if (min == max) { min -= 0.5; max += 0.5; }   // a flat map still needs a scale
        // XChart prints the scale's ends with Double.toString: round them outwards to the cells' precision
        min = roundTo(cellPattern, min, RoundingMode.FLOOR);
        max = roundTo(cellPattern, max, RoundingMode.CEILING);

        HeatMapChart chart = new HeatMapChartBuilder().width(WIDTH).height(HEIGHT).build();   // the (width, height) constructor leaves the colour range unset
        chart.setTitle(title);
        HeatMapStyler s = chart.getStyler();
        applyCommonStyle(s);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setRangeColors(HEAT_SCALE);
        s.setMin(min);
        s.setMax(max);
        s.setShowValue(true);
        s.setValueFont(CELL_FONT);
        s.setValueFontColor(Color.BLACK);
        s.setHeatMapValueDecimalPattern(cellPattern);
        s.setDrawBorder(true);
        s.setPlotGridLinesVisible(false);
        s.setGradientColorColumnHeight(HEIGHT / 2);
        rotateLongLabels(s, colLabels);
        chart.addSeries(" ", Arrays.asList(colLabels), ys, cells);
        PngFile.write(chart, WIDTH, HEIGHT, png);
    }

    /** The DecimalFormat pattern for a printf-style "%.Nf" or "%d", or the pattern itself if it is one. */
    static String decimalPattern(String valueFormat) {
        Matcher printf = PRINTF_FIXED.matcher(valueFormat);
        if (printf.matches()) {
            if (printf.group(1) != null) return "0";
            int decimals = printf.group(2) == null ? 6 : Integer.parseInt(printf.group(2));
            return decimals == 0 ? "0" : "0." + "0".repeat(decimals);
        }
        if (valueFormat.contains("%")) {
            throw new IllegalArgumentException("value format '" + valueFormat + "' is not supported; expected %.Nf, %d or a DecimalFormat pattern such as 0.00");
        }
        try {
            new DecimalFormat(valueFormat);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("value format '" + valueFormat + "' is not a DecimalFormat pattern: " + e.getMessage());
        }
        return valueFormat;
    }

    /** value rounded with mode to the decimals of decimalPattern, as a double whose toString is that short form */
    static double roundTo(String decimalPattern, double value, RoundingMode mode) {
        DecimalFormat format = new DecimalFormat(decimalPattern, DecimalFormatSymbols.getInstance(Locale.ROOT));
        format.setRoundingMode(mode);
        format.setGroupingUsed(false);
        try {
            return format.parse(format.format(value)).doubleValue();
        } catch (ParseException e) {
            return value;   // a pattern that does not read back (e.g. with a suffix): keep the exact end
        }
    }

    /** Grouped bars: one group per category, one bar per series; errors (same shape) as error bars, or null. */
    public static void bars(String title, String[] categories, String[] series, double[][] values, double[][] errors, String yLabel, Path png) {
        PngFile.write(categoryChart(title, categories, series, values, errors, yLabel, false), WIDTH, HEIGHT, png);
    }

    /**
     * Stacked bars: one bar per category, the series stacked in order (e.g. selected parameters per layer
     * by module type). Error bars have no meaning on a stack, so errors must be null.
     */
    public static void stackedBars(String title, String[] categories, String[] series, double[][] values, double[][] errors, String yLabel, Path png) {
        if (errors != null) throw new IllegalArgumentException("stacked bars take no error bars: errors must be null");
        PngFile.write(categoryChart(title, categories, series, values, null, yLabel, true), WIDTH, HEIGHT, png);
    }

    /** One line per series over the xLabels in order (e.g. the probe after each task), with optional error bars. */
    public static void lines(String title, String[] xLabels, String[] series, double[][] values, double[][] errors, String yLabel, Path png) {
        checkSeries(xLabels, series, values, errors);
        CategoryChart chart = new CategoryChart(WIDTH, HEIGHT);
        chart.setTitle(title);
        chart.setYAxisTitle(yLabel);
        var s = chart.getStyler();
        applyCommonStyle(s);
        s.setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
        s.setOverlapped(true);   // every series at the category itself, not side by side as bars are
        s.setErrorBarsColorSeriesColor(true);
        s.setMarkerSize(8);
        s.setPlotGridVerticalLinesVisible(false);
        BasicStroke[] strokes = new BasicStroke[Math.max(series.length, 1)];
        Arrays.fill(strokes, new BasicStroke(2.5f));
        s.setSeriesLines(strokes);
        rotateLongLabels(s, xLabels);
        for (int k = 0; k < series.length; k++) {
            addCategorySeries(chart, series[k], xLabels, values[k], errors == null ? null : errors[k]);
        }
        PngFile.write(chart, WIDTH, HEIGHT, png);
    }

    /**
     * Points per series, x[s][j] against y[s][j] (e.g. task score against probe retention, one point per
     * learning rate, one series per method): a stability/plasticity front.
     */
    public static void scatter(String title, String[] series, double[][] x, double[][] y, String xLabel, String yLabel, Path png) {
        requireLength("x (series)", x.length, series.length);
        requireLength("y (series)", y.length, series.length);
        for (int k = 0; k < series.length; k++) requireLength("y[" + k + "]", y[k].length, x[k].length);
        XYChart chart = new XYChart(WIDTH, HEIGHT);
        chart.setTitle(title);
        chart.setXAxisTitle(xLabel);
        chart.setYAxisTitle(yLabel);
        var s = chart.getStyler();
        applyCommonStyle(s);
        s.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        s.setMarkerSize(11);
        // colours repeat after the palette's ten, so each further round of them gets a shape of its own (13 methods)
        Marker[] shapes = {SeriesMarkers.CIRCLE, SeriesMarkers.DIAMOND, SeriesMarkers.SQUARE, SeriesMarkers.TRIANGLE_UP};
        Marker[] markers = new Marker[Math.max(series.length, 1)];
        for (int k = 0; k < markers.length; k++) markers[k] = shapes[(k / PALETTE.length) % shapes.length];
        s.setSeriesMarkers(markers);
        double[] xr = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}, yr = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int k = 0; k < series.length; k++) {
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            for (int j = 0; j < x[k].length; j++) {
                if (Double.isFinite(x[k][j]) && Double.isFinite(y[k][j])) {
                    xs.add(x[k][j]);
                    ys.add(y[k][j]);
                    xr[0] = Math.min(xr[0], x[k][j]); xr[1] = Math.max(xr[1], x[k][j]);
                    yr[0] = Math.min(yr[0], y[k][j]); yr[1] = Math.max(yr[1], y[k][j]);
                }
            }
            if (xs.isEmpty()) continue;   // XChart cannot draw an empty series; its legend entry goes too
            chart.addSeries(series[k], xs, ys);
        }
        // a margin around the points, so none sits on the frame, and short tick labels
        if (xr[0] <= xr[1]) {
            double px = Math.max(0.1 * (xr[1] - xr[0]), 0.05 * Math.max(1e-3, Math.abs(xr[1]))), py = Math.max(0.1 * (yr[1] - yr[0]), 0.05 * Math.max(1e-3, Math.abs(yr[1])));
            s.setXAxisMin(xr[0] - px);
            s.setXAxisMax(xr[1] + px);
            s.setYAxisMin(yr[0] - py);
            s.setYAxisMax(yr[1] + py);
        }
        s.setXAxisDecimalPattern("0.###");
        s.setYAxisDecimalPattern("0.###");
        PngFile.write(chart, WIDTH, HEIGHT, png);
    }

    // ---- shared pieces ----

    private static CategoryChart categoryChart(String title, String[] categories, String[] series, double[][] values, double[][] errors,
                                               String yLabel, boolean stacked) {
        checkSeries(categories, series, values, errors);
        CategoryChart chart = new CategoryChart(WIDTH, HEIGHT);
        chart.setTitle(title);
        chart.setYAxisTitle(yLabel);
        var s = chart.getStyler();
        applyCommonStyle(s);
        s.setStacked(stacked);
        s.setOverlapped(false);
        s.setAvailableSpaceFill(stacked ? 0.6 : 0.8);
        s.setErrorBarsColor(new Color(0x333333));
        s.setPlotGridVerticalLinesVisible(false);
        rotateLongLabels(s, categories);
        for (int k = 0; k < series.length; k++) {
            addCategorySeries(chart, series[k], categories, values[k], errors == null ? null : errors[k]);
        }
        return chart;
    }

    /**
     * NaN values become XChart's missing values (null): no bar, no point. XChart cannot range error bars over
     * a missing value (it reads every value of a series that has error bars), so a series with a gap is drawn
     * without its error bars; this happens when a value is undefined, e.g. BWT and FWT of a one-task run.
     */
    private static void addCategorySeries(CategoryChart chart, String name, String[] categories, double[] values, double[] errors) {
        List<Double> ys = new ArrayList<>(), es = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            boolean missing = !Double.isFinite(values[i]);
            ys.add(missing ? null : values[i]);
            if (errors != null) es.add(missing || !Double.isFinite(errors[i]) ? 0.0 : errors[i]);
        }
        if (errors == null || ys.contains(null)) chart.addSeries(name, Arrays.asList(categories), ys);
        else chart.addSeries(name, Arrays.asList(categories), ys, es);
    }

    private static void checkSeries(String[] categories, String[] series, double[][] values, double[][] errors) {
        requireLength("values (series)", values.length, series.length);
        for (int k = 0; k < series.length; k++) requireLength("values[" + k + "]", values[k].length, categories.length);
        if (errors != null) {
            requireLength("errors (series)", errors.length, series.length);
            for (int k = 0; k < series.length; k++) requireLength("errors[" + k + "]", errors[k].length, categories.length);
        }
    }

    private static void requireLength(String what, int actual, int expected) {
        if (actual != expected) throw new IllegalArgumentException(what + " has length " + actual + "; expected " + expected);
    }

    private static void applyCommonStyle(AxesChartStyler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setPlotBorderColor(new Color(0x999999));
        s.setPlotGridLinesColor(new Color(0xDDDDDD));
        s.setChartFontColor(Color.BLACK);
        s.setAxisTickLabelsColor(Color.BLACK);
        s.setChartTitleBoxVisible(false);
        s.setChartTitleFont(TITLE_FONT);
        s.setAxisTitleFont(AXIS_TITLE_FONT);
        s.setAxisTickLabelsFont(TICK_FONT);
        s.setLegendFont(LEGEND_FONT);
        s.setLegendBorderColor(new Color(0xBBBBBB));
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setSeriesColors(PALETTE);
        s.setLocale(Locale.ROOT);
        s.setAntiAlias(true);
        s.setToolTipsEnabled(false);
    }

    /** Many or long category labels would overlap horizontally: tilt them. */
    private static void rotateLongLabels(AxesChartStyler s, String[] labels) {
        int longest = Arrays.stream(labels).mapToInt(String::length).max().orElse(0);
        if (labels.length * Math.max(longest, 4) > 60) s.setXAxisLabelRotation(40);
    }
}
