package io.piece4j.tests;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void maxTokensCountsThePromptWithItsBosAndTheGeneratedTokens() {
        int[] nine = ids(9), twenty = ids(20);
        assertEquals(9, nine.length, "--max-tokens 9 with a prompt of 4: " + Arrays.toString(nine));
        assertEquals(20, twenty.length, "--max-tokens 20: " + Arrays.toString(twenty));
        assertArrayEquals(new int[] {1, 7, 13, 21}, Arrays.copyOf(nine, 4), "the prompt comes first, as given");
        assertArrayEquals(nine, Arrays.copyOf(twenty, 9), "a shorter run is a prefix of a longer one");
        assertEquals(32, ids(1000).length, "capped at the model's max_seq_len");
        assertArrayEquals(new int[] {1, 7, 13}, ids(3), "N below the prompt's length: the sequence is cut at N, nothing generated");
    }

    @Test
    void helpSaysWhatMaxTokensCountsAndHowItRelatesToLlama2cN() {
        String help = PieceRun.of("generate", "--help").ok().out().replaceAll("\\s+", " ");
        assertTrue(help.contains("length of the whole sequence: prompt (with its BOS) plus generated tokens, at most the model's max_seq_len"), help);
        assertTrue(help.contains("llama2.c's -n N yields N tokens after BOS: --max-tokens N+1 here"), help);
    }
}
