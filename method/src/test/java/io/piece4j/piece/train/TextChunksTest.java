package io.piece4j.piece.train;

import io.piece4j.nn.tokenizer.ByteTokenizer;
import io.piece4j.piece.TokenBatch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How a pretraining corpus becomes language-model batches. */
class TextChunksTest {
    private final ByteTokenizer tok = new ByteTokenizer();

    /** 200 documents of 5-40 random letters separated by blank lines: no window of 8 tokens repeats. */
    private static String corpus() {
        io.piece4j.tensor.Rng rng = new io.piece4j.tensor.Rng(11);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            int n = 5 + rng.nextInt(36);
            for (int j = 0; j < n; j++) sb.append((char) ('a' + rng.nextInt(26)));
            sb.append("\n\n");
        }
        return sb.toString();
    }

    @Test
    void everyDocumentIsFollowedByEos() {
        int[] stream = TextChunks.encode("ab\n\ncd\n \nef\n", TextChunks.Documents.PARAGRAPH, tok);
        int eos = tok.eosId();
        assertArrayEquals(new int[] {'a' + 3, 'b' + 3, eos, 'c' + 3, 'd' + 3, eos, 'e' + 3, 'f' + 3, eos}, stream);
        assertArrayEquals(new int[] {'a' + 3, eos, 'b' + 3, eos}, TextChunks.encode("a\nb\n\n", TextChunks.Documents.LINE, tok));
        assertArrayEquals(new int[] {'a' + 3, '\n' + 3, 'b' + 3, eos}, TextChunks.encode("a\nb", TextChunks.Documents.NONE, tok));
    }

    @Test
    void aChunkIsBosThenTheStreamAndEveryPositionPredictsTheNextStreamToken() {
        String text = corpus();
        int[] stream = TextChunks.encode(text, TextChunks.Documents.PARAGRAPH, tok);
        int seq = 16, batch = 4;
        TextChunks data = new TextChunks(text, TextChunks.Documents.PARAGRAPH, tok, seq, batch, 7, 10);
        // epoch 0 starts its grid at 0: chunk c covers stream[c*seq, (c+1)*seq)
        boolean[] predicted = new boolean[stream.length];
        for (TokenBatch b : data.batches(0)) {
            assertEquals(batch, b.batch());
            assertEquals(seq, b.seq());
            for (int r = 0; r < batch; r++) {
                int[] tokens = Arrays.copyOfRange(b.tokens(), r * seq, (r + 1) * seq);
                int[] targets = Arrays.copyOfRange(b.targets(), r * seq, (r + 1) * seq);
                assertEquals(tok.bosId(), tokens[0], "every chunk starts with BOS");
                int start = indexOf(stream, targets);
                assertTrue(start >= 0 && start % seq == 0, "targets are a chunk of the stream on the epoch's grid, found at " + start);
                assertArrayEquals(Arrays.copyOfRange(stream, start, start + seq - 1), Arrays.copyOfRange(tokens, 1, seq),
                        "after BOS the tokens are the stream, one behind the targets");
                for (int t = 0; t < seq; t++) {
                    assertTrue(!predicted[start + t], "stream token " + (start + t) + " predicted twice in one epoch");
                    predicted[start + t] = true;
                }
            }
        }
    }

    @Test
    void theRunHasExactlyTheMicroBatchesAskedForAndEachEpochIsAPureFunction() {
        String text = corpus();
        int seq = 32, batch = 3;
        int perEpoch = (TextChunks.encode(text, TextChunks.Documents.PARAGRAPH, tok).length / seq) / batch; // epoch 0, offset 0
        long asked = 2L * perEpoch + 5;
        TextChunks data = new TextChunks(text, TextChunks.Documents.PARAGRAPH, tok, seq, batch, 3, asked);
        long total = 0;
        for (int e = 0; e < data.epochs(); e++) total += data.batches(e).size();
        assertEquals(asked, total, "micro-batches over all epochs");
        assertEquals(3, data.epochs(), "two full epochs and five batches of a third");
        assertEquals(5, data.batches(2).size());
        TextChunks again = new TextChunks(text, TextChunks.Documents.PARAGRAPH, tok, seq, batch, 3, asked);
        for (int e = 0; e < data.epochs(); e++) {
            for (int i = 0; i < data.batches(e).size(); i += 7) {
                assertArrayEquals(data.batches(e).get(i).targets(), again.batches(e).get(i).targets(), "epoch " + e + " batch " + i);
            }
        }
        assertTrue(!Arrays.equals(data.batches(0).get(0).targets(), data.batches(1).get(0).targets()), "epochs are shuffled differently");
    }

    @Test
    void aCorpusTooSmallForOneBatchIsRefusedWithItsSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TextChunks("tiny text", TextChunks.Documents.PARAGRAPH, tok, 16, 4, 1, 10));
        assertTrue(e.getMessage().contains("10 tokens"), e.getMessage());
    }

    @Test
    void heldOutChunksCoverTheTextInOrder() {
        String text = corpus();
        int[] stream = TextChunks.encode(text, TextChunks.Documents.PARAGRAPH, tok);
        List<TokenBatch> batches = TextChunks.evaluationBatches(text, TextChunks.Documents.PARAGRAPH, tok, 64, 5);
        List<Integer> targets = new ArrayList<>();
        for (TokenBatch b : batches) for (int t : b.targets()) targets.add(t);
        assertEquals(stream.length / 64 * 64, targets.size(), "whole chunks only");
        for (int i = 0; i < targets.size(); i++) assertEquals(stream[i], (int) targets.get(i), "target " + i);
    }

    private static int indexOf(int[] hay, int[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
