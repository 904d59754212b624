package io.piece4j.tests;

import io.piece4j.nn.format.Checkpoint;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `generate --max-tokens N` is the length of the whole sequence, prompt and its BOS included. */
class GenerateMaxTokensTest {
    private static final String MODEL = ExternalTools.resource("/golden/tiny-llama/model.bin").toString(); // max_seq_len 32

    private static int[] ids(int maxTokens) {
        PieceRun r = PieceRun.of("generate", "--model", MODEL, "--prompt-ids", "1,7,13,21", "--max-tokens", Integer.toString(maxTokens),
                "--temperature", "0", "--ids", "--backend", "ref").ok();
        return Arrays.stream(r.out().trim().split(" ")).mapToInt(Integer::parseInt).toArray();
    }

    @Test
    void maxTokensCountsThePromptWithItsBosAndTheGeneratedTokens() throws Exception {
        int maxSeqLen;
        try (Checkpoint c = Checkpoint.open(Path.of(MODEL))) { maxSeqLen = c.config().maxSeqLen(); }
        int[] all = ids(maxSeqLen + 100); // runs to max_seq_len unless greedy picks BOS or EOS first
        assertTrue(all.length <= maxSeqLen, "capped at the model's max_seq_len " + maxSeqLen + ": " + all.length);
        assertTrue(all.length >= 20, "this test needs a greedy run of 20 tokens: " + Arrays.toString(all));
        for (int n : new int[] {5, 9, 20}) {
            int[] got = ids(n);
            assertArrayEquals(Arrays.copyOf(all, n), got, "--max-tokens " + n + " with a prompt of 4: the first " + n + " of the sequence");
        }
        assertArrayEquals(new int[] {1, 7, 13}, ids(3), "N below the prompt's length: the sequence is cut at N, nothing generated");
    }

    @Test
    void helpSaysWhatMaxTokensCountsAndHowItRelatesToLlama2cN() {
        String help = PieceRun.of("generate", "--help").ok().out().replaceAll("\\s+", " ");
        assertTrue(help.contains("length of the whole sequence: prompt (with its BOS) plus generated tokens, at most the model's max_seq_len"), help);
        assertTrue(help.contains("llama2.c's -n N yields N tokens after BOS: --max-tokens N+1 here"), help);
    }
}
