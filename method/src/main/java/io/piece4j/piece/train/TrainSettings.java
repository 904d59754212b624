package io.piece4j.piece.train;

/**
 * Everything that decides a training run's numbers; written into every checkpoint and result.
 *
 * @param epochs         passes over the training data
 * @param lr             peak learning rate
 * @param schedule       "constant" or "cosine" after linear warm-up: step s of T gets lr (1 + cos(pi (s - warmup) / (T - warmup))) / 2,
 *                       which reaches 0 one step after the last (as Hugging Face's cosine schedule)
 * @param warmupSteps    optimizer steps of linear warm-up from lr / warmupSteps
 * @param batchSize      examples per micro-batch
 * @param accumulation   micro-batches per optimizer step (effective batch = batchSize * accumulation)
 * @param maxGradNorm    global gradient-norm clipping (computed on the trained coordinates); 0 = off
 * @param beta1          AdamW
 * @param beta2          AdamW
 * @param eps            AdamW
 * @param weightDecay    AdamW, applied to trained coordinates only
 * @param seed           data shuffling (epoch e's order is a function of (seed, e) only)
 * @param checkpointEvery optimizer steps between checkpoints (0 = only at the end of each epoch)
 * @param denseGrad      compute dense weight gradients even under a mask (the reference path)
 */
public record TrainSettings(int epochs, float lr, String schedule, int warmupSteps, int batchSize, int accumulation,
                            double maxGradNorm, float beta1, float beta2, float eps, float weightDecay, long seed,
                            int checkpointEvery, boolean denseGrad) {
    public TrainSettings {
        if (epochs < 1) throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        if (!(lr >= 0)) throw new IllegalArgumentException("lr must be >= 0, got " + lr);
        if (!schedule.equals("constant") && !schedule.equals("cosine")) {
            throw new IllegalArgumentException("schedule must be constant or cosine, got " + schedule);
        }
        if (warmupSteps < 0 || batchSize < 1 || accumulation < 1 || checkpointEvery < 0) {
            throw new IllegalArgumentException("warmup >= 0, batch >= 1, accumulation >= 1 and checkpoint-every >= 0 are required");
        }
    }

    /** PIECE's paper settings (constant lr, betas 0.9/0.95, clipping 1.0, no weight decay) at a given lr. */
    public static TrainSettings piece(int epochs, float lr, int batchSize, int accumulation, long seed) {
        return new TrainSettings(epochs, lr, "constant", 0, batchSize, accumulation, 1.0, 0.9f, 0.95f, 1e-8f, 0f, seed, 0, false);
    }

    /** The learning rate of optimizer step `step` (0-based) out of totalSteps. */
    public float learningRate(long step, long totalSteps) {
        if (warmupSteps > 0 && step < warmupSteps) return lr * (step + 1) / warmupSteps;
        if (schedule.equals("constant")) return lr;
        long decay = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decay);
        return (float) (lr * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
}
