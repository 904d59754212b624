package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.TopKSelector;

import java.util.Arrays;

/** The selection options the mask-based methods share: which parameters are eligible, and the original code's quirk. */
final class MaskSelection {
    private MaskSelection() {}

    static TopKSelector.Range[] eligible(ParameterLayout layout, boolean includeNorms) {
        return ImportanceEstimation.eligible(layout, includeNorms);
    }

    /**
     * The original code's quirk (PIECE.md section 3): an eligible tensor with no selected entry is trained
     * fully. Returns the mask with every index of such tensors added; the input embeddings stay out.
     */
    static Mask trainUntouchedTensors(Mask mask, ParameterLayout layout, TopKSelector.Range[] eligible) {
        int[] idx = mask.indices();
        int[] out = Arrays.copyOf(idx, idx.length);
        int n = idx.length;
        int i = 0;
        for (ParameterLayout.Entry e : layout.entries()) {
            long end = e.offset() + e.numel();
            boolean any = false;
            while (i < idx.length && idx[i] < end) { any = true; i++; }
            if (any || !isEligible(e, eligible)) continue;
            if (n + e.numel() > out.length) out = Arrays.copyOf(out, (int) Math.max(out.length * 2L, n + e.numel()));
            for (long j = e.offset(); j < end; j++) out[n++] = (int) j;
        }
        int[] all = Arrays.copyOf(out, n);
        Arrays.sort(all);
        return new Mask(all, mask.parameterCount(), mask.eligibleCount(), mask.ratio(), mask.estimator() + "+untouched",
                mask.task(), mask.modelHash(), mask.batches(), mask.batchSize());
    }

    private static boolean isEligible(ParameterLayout.Entry e, TopKSelector.Range[] eligible) {
        for (TopKSelector.Range r : eligible) if (e.offset() >= r.begin() && e.offset() < r.end()) return true;
        return false;
    }
}
