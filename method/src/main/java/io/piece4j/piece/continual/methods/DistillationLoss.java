package io.piece4j.piece.continual.methods;

import io.piece4j.tensor.Autograd;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.spi.Backend;

/**
 * Knowledge distillation at temperature T (LwF's extra term): the mean over scored rows of
 * KL(p || q), where p = softmax(teacher / T) is the frozen old model's distribution and q =
 * softmax(student / T) the model being trained.
 *
 * <pre>
 *   KL_r = sum_v p_v (log p_v - log q_v)              one row r
 *   loss = (1 / n) sum over the n scored rows of KL_r
 *   dLoss/dStudent_r = (q - p) / (T n)                 (the teacher gets no gradient)
 * </pre>
 *
 * Only rows whose target is >= 0 count (the answer and EOS positions, as for the cross-entropy), so the
 * op reads and writes just those rows of the (rows, vocab) logits: a handful of rows per example, not the
 * whole batch. Sums run in double.
 */
public final class DistillationLoss {
    private DistillationLoss() {}

    /**
     * @param student     (rows, vocab) logits of the trained model, with its tape
     * @param teacher     (rows, vocab) logits of the frozen model (no gradient)
     * @param targets     (rows) the batch's targets: rows with a negative target are not scored
     * @param temperature T > 0
     * @return shape [1]: the mean KL over scored rows (0, with zero gradient, when no row is scored)
     */
    public static Tensor meanKl(Tensor student, Tensor teacher, int[] targets, float temperature) {
        int vocab = student.dim(-1), rows = (int) (student.numel() / vocab);
        if (teacher.numel() != student.numel()) {
            throw new IllegalArgumentException("teacher logits have " + teacher.numel() + " numbers, the student's " + student.numel());
        }
        if (targets.length != rows) throw new IllegalArgumentException(targets.length + " targets for " + rows + " rows of logits");
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        int n = 0;
        for (int t : targets) if (t >= 0) n++;
        int[] scored = new int[n];
        for (int r = 0, i = 0; r < rows; r++) if (targets[r] >= 0) scored[i++] = r;

        Backend be = student.backend();
        double invT = 1.0 / temperature;
        float[][] qMinusP = new float[n][]; // (n, vocab): all backward needs
        float[] row = new float[vocab];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            long at = (long) scored[i] * vocab;
            be.read(teacher.storage(), teacher.offset() + at, row, 0, vocab);
            double[] logP = logSoftmax(row, invT);
            be.read(student.storage(), student.offset() + at, row, 0, vocab);
            double[] logQ = logSoftmax(row, invT);
            double kl = 0;
            qMinusP[i] = new float[vocab];
            for (int v = 0; v < vocab; v++) {
                double p = Math.exp(logP[v]);
                if (p > 0) kl += p * (logP[v] - logQ[v]);
                qMinusP[i][v] = (float) (Math.exp(logQ[v]) - p);
            }
            sum += kl;
        }
        Tensor loss = Tensor.zeros(be, 1);
        loss.copyFromDouble(new double[] {n == 0 ? 0.0 : sum / n});
        int count = n;
        return Autograd.record(loss, g -> {
            if (count == 0) return;
            double scale = g.item() * invT / count;
            Tensor dStudent = student.gradForAccumulation();
            float[] d = new float[vocab];
            for (int i = 0; i < count; i++) {
                long at = (long) scored[i] * vocab;
                be.read(dStudent.storage(), dStudent.offset() + at, d, 0, vocab);
                for (int v = 0; v < vocab; v++) d[v] += (float) (scale * qMinusP[i][v]);
                be.write(dStudent.storage(), dStudent.offset() + at, d, 0, vocab);
            }
        }, student);
    }

    /** log softmax(x * invT), stable: x * invT - max - log sum exp(x * invT - max). */
    static double[] logSoftmax(float[] x, double invT) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v * invT);
        double z = 0;
        for (float v : x) z += Math.exp(v * invT - max);
        double logZ = max + Math.log(z);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * invT - logZ;
        return out;
    }
}
