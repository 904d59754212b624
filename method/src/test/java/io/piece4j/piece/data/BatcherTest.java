package io.piece4j.piece.data;

import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.piece.TokenBatch;
import io.piece4j.tensor.Rng;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Padding, order and length limits of the batches fed to training and to the importance pass. */
class BatcherTest {
    private static final ByteTokenizer BYTES = new ByteTokenizer();
    private static final int BOS = 1, EOS = 2, PAD = Batcher.PAD_ID;
    private static final int A = 100, B = 101, C = 102, X = 91, Y = 92, Z = 93;

    private static Example of(String prompt, String answer) {
        return Example.of(new TaskRecord(prompt, answer, 1), BYTES, TruncationSettings.none());
    }

    private static int[] row(TokenBatch batch, int[] flat, int b) {
        return Arrays.copyOfRange(flat, b * batch.seq(), (b + 1) * batch.seq());
    }

    /** Examples whose answers are "0", "1", ..., so each can be recognised in a batch. */
    private static List<Example> numbered(int n) {
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(of("q" + "x".repeat(i % 7), Integer.toString(i)));
        return out;
    }

    /** The example index of each row, in batch order, recovered from the answer tokens. */
    private static List<Integer> rowsOf(List<TokenBatch> batches) {
        List<Integer> ids = new ArrayList<>();
        for (TokenBatch batch : batches) {
            for (int b = 0; b < batch.batch(); b++) {
                StringBuilder digits = new StringBuilder();
                int[] targets = row(batch, batch.targets(), b);
                for (int t : targets) if (t >= 0 && t != EOS) digits.append((char) (t - 3));
                ids.add(Integer.parseInt(digits.toString()));
            }
        }
        return ids;
    }

    @Test
    void rowsArePaddedOnTheRightToTheLongestExampleWithUnscoredPadding() {
        List<Example> ex = List.of(of("a", "X"), of("abc", "XY"), of("", "Z"));
        List<TokenBatch> batches = Batcher.inOrder(ex, 2);
        TokenBatch first = batches.getFirst();
        assertEquals(2, first.batch(), "rows");
        assertEquals(7, first.seq(), "the longest row: BOS a b c X Y EOS");
        assertArrayEquals(new int[] {BOS, A, X, EOS, PAD, PAD, PAD}, row(first, first.tokens(), 0), "row 0 tokens");
        assertArrayEquals(new int[] {-1, X, EOS, -1, -1, -1, -1}, row(first, first.targets(), 0), "row 0 targets");
        assertArrayEquals(new int[] {BOS, A, B, C, X, Y, EOS}, row(first, first.tokens(), 1), "row 1 tokens");
        assertArrayEquals(new int[] {-1, -1, -1, X, Y, EOS, -1}, row(first, first.targets(), 1), "row 1 targets");
        assertEquals(2 + 3, first.scoredTokens(), "X, EOS of row 0; X, Y, EOS of row 1");
    }

    @Test
    void theLastPartialBatchIsKeptAndSizedToItsOwnRows() {
        List<TokenBatch> batches = Batcher.inOrder(List.of(of("a", "X"), of("abc", "XY"), of("", "Z")), 2);
        assertEquals(2, batches.size(), "batches");
        TokenBatch last = batches.get(1);
        assertEquals(1, last.batch(), "rows in the last batch");
        assertArrayEquals(new int[] {BOS, Z, EOS}, last.tokens(), "no padding needed");
        assertArrayEquals(new int[] {Z, EOS, -1}, last.targets(), "targets");
    }

    @Test
    void datasetOrderIsKept() {
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), rowsOf(Batcher.inOrder(numbered(10), 3)));
    }

    @Test
    void aMaximumSequenceLengthCutsLongRowsThePromptFirst() {
        List<TokenBatch> batches = Batcher.inOrder(List.of(of("abc", "XY"), of("a", "XYZ")), 2, 4);
        TokenBatch batch = batches.getFirst();
        assertEquals(4, batch.seq(), "no row is longer than the limit");
        assertArrayEquals(new int[] {BOS, X, Y, EOS}, row(batch, batch.tokens(), 0), "prompt 'abc' dropped, answer whole");
        assertArrayEquals(new int[] {BOS, X, Y, EOS}, row(batch, batch.tokens(), 1), "prompt dropped, then 'Z' cut from the answer");

        List<TokenBatch> shuffled = Batcher.shuffled(numbered(10), 3, 4, 7, 0); // prompts up to 7 tokens, 1-digit answers
        for (TokenBatch b : shuffled) assertTrue(b.seq() <= 4, "a shuffled batch of " + b.seq() + " tokens under a limit of 4");
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), rowsOf(shuffled).stream().sorted().toList(), "every answer survives the cut");
    }

    @Test
    void theShuffleIsAFunctionOfSeedAndEpochOnly() {
        int[] e0 = Batcher.order(100, 5, 0);
        assertArrayEquals(e0, Batcher.order(100, 5, 0), "same seed and epoch, same order");
        assertFalse(Arrays.equals(e0, Batcher.order(100, 5, 1)), "another epoch, another order");
        assertFalse(Arrays.equals(e0, Batcher.order(100, 6, 0)), "another seed, another order");
        int[] expected = new int[100];
        for (int i = 0; i < 100; i++) expected[i] = i;
        new Rng(5 * 1_000_003L + 3).shuffle(expected);
        assertArrayEquals(expected, Batcher.order(100, 5, 3), "epoch 3 of seed 5 shuffles with new Rng(5 * 1_000_003 + 3), as documented");
    }

    @Test
    void everyExampleAppearsExactlyOncePerShuffledEpoch() {
        List<Example> ex = numbered(23);
        List<List<Integer>> epochs = new ArrayList<>();
        for (int epoch = 0; epoch < 4; epoch++) {
            List<TokenBatch> batches = Batcher.shuffled(ex, 4, 42, epoch);
            assertEquals(6, batches.size(), "23 examples in batches of 4");
            List<Integer> rows = rowsOf(batches);
            Map<Integer, Integer> seen = new HashMap<>();
            for (int r : rows) seen.merge(r, 1, Integer::sum);
            for (int i = 0; i < ex.size(); i++) assertEquals(1, seen.getOrDefault(i, 0), "times example " + i + " appears in epoch " + epoch);
            assertEquals(rows, rowsOf(Batcher.shuffled(ex, 4, 42, epoch)), "epoch " + epoch + " again");
            epochs.add(rows);
        }
        assertTrue(epochs.stream().distinct().count() == 4, "four epochs, four orders: " + epochs);
    }

    @Test
    void noExamplesMakeNoBatchesAndABatchSizeBelowOneIsRejected() {
        assertEquals(List.of(), Batcher.inOrder(List.of(), 4), "no batches");
        assertThrows(IllegalArgumentException.class, () -> Batcher.inOrder(numbered(3), 0));
    }
}
