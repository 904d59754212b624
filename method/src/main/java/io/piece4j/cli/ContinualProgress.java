package io.piece4j.cli;

import io.piece4j.piece.continual.ContinualRun;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The continual runner's progress on stderr: run, task, phase and ETA, redrawn in place on a terminal;
 * elsewhere (logs, CI) one line per phase.
 */
final class ContinualProgress implements ContinualRun.Listener {
    private final PrintStream err = System.err;
    private final boolean terminal = System.console() != null;
    private String lastKey = "";
    private long lastDraw;

    @Override
    public void update(ContinualRun.Progress p) {
        String where = p.run().equals("base")
                ? "base model"
                : String.format(Locale.ROOT, "run %d/%d %s | task %d/%d %s", p.runIndex() + 1, p.runCount(), p.run(), p.task() + 1,
                        p.taskCount(), p.taskName());
        int width = 24;
        int filled = (int) Math.round(width * p.fractionDone());
        String bar = "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
        String line = String.format(Locale.ROOT, "%s %3.0f%% %s | %s %d/%d | ETA %s", bar, 100 * p.fractionDone(), where, p.phase(), p.done(),
                p.total(), eta(p.etaSeconds()));
        String key = where + p.phase();
        long now = System.nanoTime();
        if (terminal) {
            if (now - lastDraw > 100_000_000L || p.done() == p.total()) {
                err.print("\r" + line + "   ");
                lastDraw = now;
            }
        } else if (!key.equals(lastKey)) {
            err.println(line);
        }
        lastKey = key;
    }

    /** Ends the redrawn line. */
    void finish() {
        if (terminal) err.println();
    }

    static String eta(double seconds) {
        if (!Double.isFinite(seconds)) return "--";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
