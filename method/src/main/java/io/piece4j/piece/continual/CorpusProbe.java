package io.piece4j.piece.continual;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.train.Evaluation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A suite's own probe: mean NLL per token on held-out text of the pretraining distribution (lower is
 * better), and the score on questions the base model learned in pretraining (greedy decoding). The
 * suite says which of the two is primary.
 */
public final class CorpusProbe implements Probe {
    /** At most this many context-length chunks of held-out text are scored (the first ones). */
    public static final int MAX_HELDOUT_CHUNKS = 64;
    private static final int BATCH = 8;

    private final Suite.CorpusProbeData data;
    private final TaskEvaluator evaluator;
    private final Tokenizer tokenizer;

    public CorpusProbe(Suite.CorpusProbeData data, Tokenizer tokenizer) {
        this.data = data;
        this.tokenizer = tokenizer;
        this.evaluator = new TaskEvaluator(tokenizer);
    }

    @Override public String name() { return "corpus"; }

    @Override
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (data.heldout() != null) parts.add("held-out NLL per token on " + data.heldoutFile().getFileName());
        if (!data.skills().isEmpty()) parts.add(data.skillsMetric().cliName() + " on " + data.skills().size() + " pretraining skill questions");
        return String.join("; ", parts) + " (primary: " + data.primary() + ")";
    }

    @Override public boolean higherIsBetter() { return data.primary().equals("skills") == data.skillsMetric().higherIsBetter(); }

    @Override
    public ProbeScore score(LlamaModel model) {
        Map<String, Double> parts = new LinkedHashMap<>();
        if (data.heldout() != null) parts.put("heldout_nll", Evaluation.answerLoss(model, heldoutBatches(model.config().maxSeqLen())));
        if (!data.skills().isEmpty()) {
            parts.put("skills", evaluator.evaluate(model, data.skills(), data.skillsMetric(), data.skillsMaxNewTokens(), 0, 0).score());
        }
        return new ProbeScore(data.primary().equals("skills") ? parts.get("skills") : parts.get("heldout_nll"), parts);
    }

    /** BOS + maxSeq - 1 tokens of text per row, every next token scored; the last chunk may be shorter. */
    List<TokenBatch> heldoutBatches(int maxSeq) {
        int[] ids = tokenizer.encode(data.heldout(), false, false);
        int len = maxSeq - 1;
        List<int[]> chunks = new ArrayList<>();
        for (int s = 0; s < ids.length && chunks.size() < MAX_HELDOUT_CHUNKS; s += len) {
            chunks.add(Arrays.copyOfRange(ids, s, Math.min(ids.length, s + len)));
        }
        return LanguageModelBatches.of(chunks, tokenizer.bosId(), BATCH);
    }
}
