package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.Mask;
import io.piece4j.piece.ModelFingerprint;
import io.piece4j.piece.continual.ContinualMethod;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.train.Trainable;

/**
 * LayerNorm-only: on every task only the RMSNorm gains are trained (both norms of every block and the
 * final norm), the PIECE paper's "LayerNorm" baseline for models whose norms are RMSNorm. The mask is
 * the same for every task; every other parameter stays bit-identical.
 */
public final class LayerNormOnly implements ContinualMethod {
    @Override public String name() { return "layernorm"; }

    @Override public String describe() { return "only the RMSNorm gains (every block's two and the final norm), every task"; }

    @Override
    public TrainPlan prepare(TaskContext ctx) {
        Mask mask = normGains(ctx.model(), ctx.task().name());
        return TrainPlan.of(Trainable.ofModel(ctx.model(), mask), mask);
    }

    /** Every index of every norm gain (the 1-D parameters), ascending. */
    static Mask normGains(LlamaModel model, String task) {
        ParameterLayout layout = model.layout();
        long n = 0;
        for (ParameterLayout.Entry e : layout.entries()) if (isNormGain(e)) n += e.numel();
        int[] idx = new int[Math.toIntExact(n)];
        int k = 0;
        for (ParameterLayout.Entry e : layout.entries()) {
            if (!isNormGain(e)) continue;
            for (long i = e.offset(); i < e.offset() + e.numel(); i++) idx[k++] = (int) i;
        }
        long p = layout.size();
        return new Mask(idx, p, p, (double) n / p, "layernorm", task, ModelFingerprint.of(model.parameters()), 0, 0);
    }

    static boolean isNormGain(ParameterLayout.Entry e) { return e.shape().length == 1; }
}
