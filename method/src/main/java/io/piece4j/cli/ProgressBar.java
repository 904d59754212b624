package io.piece4j.cli;

import java.io.PrintStream;

/** A one-line progress bar on stderr: redrawn in place on a terminal, a line every 10 % otherwise. */
final class ProgressBar {
    private final PrintStream err = System.err;
    private final boolean terminal = System.console() != null;
    private final String label;
    private long lastPrinted = -1;

    ProgressBar(String label) { this.label = label; }

    void update(long done, long total, String detail) {
        int width = 30;
        int filled = (int) (width * done / Math.max(1, total));
        String bar = "[" + "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "") + "]";
        String line = String.format("%s %s %d/%d %s", label, bar, done, total, detail);
        if (terminal) {
            err.print("\r" + line);
            if (done == total) err.println();
        } else {
            long decile = 10 * done / Math.max(1, total);
            if (decile != lastPrinted || done == total) {
                err.println(line);
                lastPrinted = decile;
            }
        }
    }
}
