package io.piece4j.tests;

import io.piece4j.cli.PieceCli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** One `piece ...` command run in-process, with what it printed. */
record PieceRun(int exitCode, String out, String err) {
    static PieceRun of(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            var cl = PieceCli.commandLine();
            cl.setErr(new java.io.PrintWriter(e, true));   // picocli's own messages (usage errors) too
            code = cl.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new PieceRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** This run, after checking it exited with 0 (else failing with what it printed). */
    PieceRun ok() {
        if (exitCode != 0) throw new AssertionError("piece exited with " + exitCode + "\nstdout: " + out + "\nstderr: " + err);
        return this;
    }
}
