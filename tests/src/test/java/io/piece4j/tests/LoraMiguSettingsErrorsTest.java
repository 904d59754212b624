package io.piece4j.tests;

import io.piece4j.cli.PieceCli;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad settings of SeqLoRA, O-LoRA and MIGU on `piece continual`: one clear line each, exit code 2, before
 * anything is trained or written (the output folder is never created).
 */
class LoraMiguSettingsErrorsTest {
    private static ContinualFixture fixture;

    @BeforeAll
    static void setUp() throws Exception { fixture = ContinualFixture.create(); }

    private static void assertRefused(String methods, String setting, String... mustContain) {
        Path out = fixture.dir.resolve("out-" + setting.replaceAll("[^a-z0-9]", "_"));
        var cl = PieceCli.commandLine();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cl.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
        PrintStream oldOut = System.out;
        int code;
        try (PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
            System.setOut(quiet);
            code = cl.execute("continual", "--model", fixture.model.toString(), "--tokenizer", "byte", "--suite", fixture.suite.toString(),
                    "--methods", methods, "--method-setting", setting, "--epochs", "1", "--out", out.toString(), "--backend", "ref");
        } finally {
            System.setOut(oldOut);
        }
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, setting + ": exit code for a user's mistake; stderr: " + message);
        assertEquals(1, message.strip().lines().count(), setting + ": one line: " + message);
        for (String s : mustContain) assertTrue(message.contains(s), setting + ": the message should say " + s + ": " + message);
        assertFalse(Files.exists(out), setting + ": nothing may be written before the settings are checked");
    }

    @Test
    void loraRankZero() { assertRefused("seqlora", "lora.rank=0", "lora.", "rank 0", ">= 1"); }

    @Test
    void loraOnAWeightThatDoesNotExist() { assertRefused("olora", "lora.targets=wq,w_query", "'w_query'", "wq, wk, wv, wo, w_gate, w_up, w_down"); }

    @Test
    void negativeOLoraLambda() { assertRefused("olora", "olora.lambda=-0.5", "olora.lambda=-0.5", ">= 0"); }

    @Test
    void miguRatioOutsideZeroToOne() { assertRefused("piece-s,migu", "migu.ratio=1.5", "migu.ratio=1.5", "(0, 1]"); }

    @Test
    void loraAlphaThatIsNoNumber() { assertRefused("all", "lora.alpha=big", "lora.alpha=big", "number"); }
}
