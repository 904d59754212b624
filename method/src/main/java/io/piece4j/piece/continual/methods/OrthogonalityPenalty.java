package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.lora.LoraAdapter;
import io.piece4j.piece.train.TrainingHooks;
import io.piece4j.tensor.Tensor;

import java.util.Map;

/**
 * O-LoRA's orthogonality penalty (Wang et al. 2023), added once per optimizer step:
 * P = lambda * sum over adapted weights of sum_ij |M_ij|, M = A_old A_new^T (R, r), where A_new (r, in) is
 * the adapter being trained and A_old (R, in) the A matrices of every earlier task's adapter, stacked.
 * Its gradient, dP/dA_new = lambda * sign(M)^T A_old (sign(0) = 0, as torch's abs), is added to the
 * adapter's gradient before clipping and the update; P is added to the step's logged loss.
 */
final class OrthogonalityPenalty implements TrainingHooks {
    private final double lambda;
    private final LoraAdapter current;
    private final Map<String, float[]> oldA; // adapted weight -> (R, in), R = rank * earlier tasks

    OrthogonalityPenalty(double lambda, LoraAdapter current, Map<String, float[]> oldA) {
        this.lambda = lambda;
        this.current = current;
        this.oldA = oldA;
    }

    @Override
    public double beforeStep(LlamaModel model, Tensor grads, long step) {
        double total = 0;
        for (LoraAdapter.Pair p : current.pairs()) {
            float[] old = oldA.get(p.weight());
            if (old == null || old.length == 0) continue;
            int r = p.a().dim(0), in = p.in();
            float[] g = new float[r * in];
            total += penalty(old, old.length / in, p.a().toArray(), r, in, lambda, g);
            Tensor gradOfA = Tensor.view(grads.storage(), grads.offset() + p.a().offset(), r * in); // (r * in)
            grads.backend().addScaled(gradOfA, Tensor.of(grads.backend(), g, r * in), 1f);
        }
        return total;
    }

    /**
     * lambda * sum_ij |(A_old A_new^T)_ij| in double precision; adds its gradient with respect to A_new into
     * gradOut (r * in).
     *
     * @param aOld (rOld, in) row-major
     * @param aNew (r, in) row-major
     */
    static double penalty(float[] aOld, int rOld, float[] aNew, int r, int in, double lambda, float[] gradOut) {
        double sum = 0;
        double[] g = new double[r * in];
        for (int i = 0; i < rOld; i++) {
            for (int k = 0; k < r; k++) {
                double m = 0;                                   // M[i][k] = <A_old[i], A_new[k]>
                for (int c = 0; c < in; c++) m += (double) aOld[i * in + c] * aNew[k * in + c];
                sum += Math.abs(m);
                double sign = Math.signum(m);
                if (sign != 0) for (int c = 0; c < in; c++) g[k * in + c] += sign * aOld[i * in + c];
            }
        }
        for (int j = 0; j < g.length; j++) gradOut[j] += (float) (lambda * g[j]);
        return lambda * sum;
    }
}
