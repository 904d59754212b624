package io.piece4j.bench;

import io.piece4j.backend.opencl.OpenClBackendProvider;
import io.piece4j.backend.opencl.OpenClDevices;
import io.piece4j.cli.PieceCli;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** `piece devices` and `piece bench backends` as a user runs them (in-process, through the CLI's command line). */
class OpenClCommandsTest {
    private record Outcome(int exit, String stdout) {}

    private static Outcome piece(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            exit = PieceCli.commandLine().execute(args);
        } finally {
            System.setOut(old);
        }
        return new Outcome(exit, buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void devicesListsEveryOpenClDeviceOrSaysWhyThereIsNone() {
        Outcome o = piece("devices");
        assertEquals(0, o.exit(), o.stdout());
        OpenClBackendProvider p = new OpenClBackendProvider();
        if (p.isAvailable()) {
            OpenClDevices.all().forEach(d -> assertTrue(o.stdout().contains("device " + d.index() + ": " + d.typeName() + " " + d.name()),
                    () -> "missing device " + d.index() + " in:\n" + o.stdout()));
            assertTrue(o.stdout().contains("selected: device " + OpenClDevices.selected().index()), o.stdout());
        } else {
            assertTrue(o.stdout().startsWith("OpenCL: ") || o.stdout().contains("no OpenCL platform found"), o.stdout());
        }
    }

    @Test
    void backendsTablePutsOpenClBesideSimdAndRefWithItsProgramBuildApart() {
        OpenClBackendProvider p = new OpenClBackendProvider();
        assumeTrue(p.isAvailable(), () -> "no OpenCL driver here, skipped: " + p.unavailableReason());
        Outcome o = piece("bench", "backends", "--backends", "ref,simd,opencl", "--config", "tiny", "--batch", "1", "--seq", "8",
                "--size", "32", "--runs", "1", "--warmup-seconds", "0", "--json");
        assertEquals(0, o.exit(), o.stdout());
        String header = o.stdout().lines().filter(l -> l.startsWith("| kernel or step |")).findFirst().orElse("");
        assertEquals("| kernel or step | unit | ref | simd | opencl | opencl / simd |", header, o.stdout());
        for (String row : new String[] {"| matmul 32^3 (nn) | GFLOP/s |", "| full step (dense backward + AdamW) | tokens/s |",
                "| masked step (PIECE, r=0.001) | tokens/s |", "| importance step (backward + G, H) | tokens/s |"}) {
            String line = o.stdout().lines().filter(l -> l.startsWith(row)).findFirst().orElse(null);
            assertTrue(line != null, () -> "no row " + row + " in:\n" + o.stdout());
            String[] cells = line.split("\\|");
            for (int c = 3; c <= 5; c++) {
                double v = Double.parseDouble(cells[c].trim());
                assertTrue(v > 0 && Double.isFinite(v), () -> "row " + row + " has a figure that is not a positive number: " + line);
            }
        }
        assertTrue(o.stdout().contains("program build") && o.stdout().contains("first full step"), () -> "opencl's first-call costs are missing:\n" + o.stdout());
        String json = o.stdout().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(json.startsWith("{\"benchmark\":\"backends\"") && json.contains("\"opencl_over_simd\""), json);
    }
}
