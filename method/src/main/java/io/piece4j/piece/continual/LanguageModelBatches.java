package io.piece4j.piece.continual;

import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.data.Batcher;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Plain language-model batches: each row is BOS + a run of text tokens, every next token scored. */
public final class LanguageModelBatches {
    private LanguageModelBatches() {}

    /** Rows padded on the right to the longest in their batch (padding is not scored). */
    public static List<TokenBatch> of(List<int[]> rows, int bos, int batchSize) {
        List<TokenBatch> out = new ArrayList<>();
        for (int start = 0; start < rows.size(); start += batchSize) {
            int batch = Math.min(batchSize, rows.size() - start);
            int seq = 0;
            for (int b = 0; b < batch; b++) seq = Math.max(seq, rows.get(start + b).length + 1);
            int[] tokens = new int[batch * seq];   // (batch, seq)
            int[] targets = new int[batch * seq];  // (batch, seq), -1 = not scored
            Arrays.fill(tokens, Batcher.PAD_ID);
            Arrays.fill(targets, -1);
            for (int b = 0; b < batch; b++) {
                int[] text = rows.get(start + b);
                tokens[b * seq] = bos;
                System.arraycopy(text, 0, tokens, b * seq + 1, text.length);
                for (int t = 0; t < text.length; t++) targets[b * seq + t] = text[t];
            }
            out.add(new TokenBatch(tokens, targets, batch, seq));
        }
        return out;
    }
}
