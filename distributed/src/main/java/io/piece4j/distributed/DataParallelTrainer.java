package io.piece4j.distributed;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.Mask;
import io.piece4j.piece.MaskedAdamW;
import io.piece4j.piece.NonFiniteException;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.train.EpochData;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.Tensor;
import io.piece4j.tensor.ops.Elementwise;
import io.piece4j.tensor.spi.Backend;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Masked training with each optimizer step spread over executors. A step's micro-batches (the local
 * Trainer's gradient accumulation: batch x accumulation examples) are split into contiguous shards; each
 * executor keeps its own copy of the model between steps, sets the k masked coordinates to the values the
 * driver sent, and sends back, per micro-batch, its loss and the loss gradient at the k masked coordinates
 * only (the sparse weight gradient computes nothing else). The driver adds the micro-batches' gradients in
 * their order, steps MaskedAdamW on k-long buffers and sends the k new values with the next step.
 *
 * <p>The numbers equal the local {@link Trainer}'s bit for bit on backends whose weight-gradient kernels add
 * each backward's contribution as one float (simd): the local accumulation over micro-batches is then the
 * same float sum, in the same order, of the same per-micro-batch gradients. Per step the exchange is
 * k floats down and k floats (+ a loss) up per micro-batch, where a dense data-parallel step all-reduces P.
 */
public final class DataParallelTrainer {
    /**
     * Bytes moved, in all.
     *
     * @param k                masked coordinates
     * @param parameters       P
     * @param steps            optimizer steps
     * @param shardTasks       Spark tasks (shards) over all steps
     * @param microBatches     micro-batches over all steps
     * @param valueBytesDown   k masked values to every shard of every step (float32)
     * @param gradientBytesUp  k gradient values and one loss per micro-batch (float32)
     * @param sparkResultBytes Spark's own count of the task results' bytes (values and Spark's per-task envelope)
     */
    public record Exchange(int k, long parameters, long steps, long shardTasks, long microBatches, long valueBytesDown,
                           long gradientBytesUp, long sparkResultBytes) {
        /** Payload bytes per optimizer step, both directions. */
        public double bytesPerStep() { return (valueBytesDown + gradientBytesUp) / (double) Math.max(1, steps); }

        /** A dense data-parallel step's all-reduce of P float32 gradients: P floats up and P down per shard. */
        public double denseBytesPerStep() { return 2.0 * 4 * parameters * shardTasks / Math.max(1, steps); }

        public String summary() {
            return String.format("%,.0f bytes (k = %,d float32 down per shard, k up per micro-batch) vs %,.0f for a dense all-reduce of P = %,d: "
                    + "%.0fx less; Spark task results: %,.0f bytes per step", bytesPerStep(), k, denseBytesPerStep(), parameters,
                    denseBytesPerStep() / bytesPerStep(), sparkResultBytes / (double) Math.max(1, steps));
        }
    }

    /** The trainer's result (as the local Trainer reports it), the k trained values, and the exchange. */
    public record Result(Trainer.Result training, float[] values, Exchange exchange) {}

    /** Micro-batches [from, to) of epoch's list, each out of a step of groupSize. */
    record Shard(int epoch, int from, int to, int groupSize) implements Serializable {}

    /** Per micro-batch of a shard: its loss, and its loss gradient at the masked coordinates (k). */
    record ShardGradients(float[] losses, float[][] gradients) implements Serializable {}

    private final JavaSparkContext sc;
    private final ModelShipment shipment;
    private final Mask mask;
    private final TrainSettings settings;
    private final EpochData data;
    private final int shards;
    private Trainer.Progress progress = (a, b, c, d, e, f) -> {};

    public DataParallelTrainer(JavaSparkContext sc, ModelShipment shipment, Mask mask, TrainSettings settings, EpochData data, int shards) {
        if (settings.denseGrad()) throw new IllegalArgumentException("data-parallel training uses the sparse weight gradient; dense-grad is not supported");
        if (shards < 1) throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        this.sc = sc;
        this.shipment = shipment;
        this.mask = mask;
        this.settings = settings;
        this.data = data;
        this.shards = shards;
    }

    public DataParallelTrainer onProgress(Progress p) { this.progress = p::step; return this; }

    /** Called after each optimizer step (the local Trainer's signature). */
    @FunctionalInterface
    public interface Progress { void step(long step, long totalSteps, double loss, double lr, long tokens, double seconds); }

    /** Trains from the model's current values (driverModel: the same weights as the shipment); writes the result into it. */
    public Result run(LlamaModel driverModel) {
        Backend be = driverModel.backend();
        int[] idx = mask.indices();
        int k = idx.length; // >= 1: a mask's budget is max(1, floor(r * P))
        if (mask.parameterCount() != driverModel.layout().size()) {
            throw new IllegalArgumentException("mask is for " + mask.parameterCount() + " parameters, model has " + driverModel.layout().size());
        }
        // the optimizer works on k-long buffers: the masked values, their gradient, and an identity mask over them;
        // MaskedAdamW's arithmetic per coordinate and its norm (summed in index order) are those of the P-long run
        Tensor values = Tensor.of(be, MaskedCoordinates.gather(driverModel.parameters(), idx), k);
        Tensor grads = Tensor.zeros(be, k);
        int[] identity = new int[k];
        for (int j = 0; j < k; j++) identity[j] = j;
        MaskedAdamW opt = new MaskedAdamW(values, grads, new Mask(identity, k, k, 1.0, "identity", "", "", 0, 0),
                new MaskedAdamW.Settings(settings.beta1(), settings.beta2(), settings.eps(), settings.weightDecay(), settings.maxGradNorm()));

        ArrayList<ArrayList<ShippedBatch>> epochs = new ArrayList<>();
        long totalSteps = 0;
        for (int e = 0; e < settings.epochs(); e++) {
            List<TokenBatch> batches = data.batches(e);
            epochs.add(ShippedBatch.all(batches));
            totalSteps += (batches.size() + settings.accumulation() - 1) / settings.accumulation();
        }
        Broadcast<ArrayList<ArrayList<ShippedBatch>>> dataB = sc.broadcast(epochs);
        Broadcast<int[]> maskB = sc.broadcast(idx);
        String key = "train:" + UUID.randomUUID();
        TaskResultBytes counter = TaskResultBytes.register(sc, key);
        sc.setJobGroup(key, "piece4j data-parallel masked training", false);
        List<Double> losses = new ArrayList<>();
        long tokens = 0, shardTasks = 0, microBatches = 0, down = 0, up = 0;
        long t0 = System.nanoTime();
        try {
            for (int epoch = 0; epoch < settings.epochs(); epoch++) {
                List<ShippedBatch> batches = epochs.get(epoch);
                int n = batches.size();
                for (int groupStart = 0; groupStart < n; groupStart += settings.accumulation()) {
                    int groupSize = Math.min(settings.accumulation(), n - groupStart);
                    int parts = Math.min(shards, groupSize);
                    List<Shard> work = new ArrayList<>();
                    for (int p = 0; p < parts; p++) {
                        work.add(new Shard(epoch, groupStart + p * groupSize / parts, groupStart + (p + 1) * groupSize / parts, groupSize));
                    }
                    float[] current = values.toArray();
                    ModelShipment ship = shipment;
                    List<ShardGradients> results = sc.parallelize(work, parts)
                            .map(s -> shard(ship, maskB, dataB, current, s, key)).collect();
                    // the step's gradient: micro-batches added in their order, as the local accumulation adds them
                    float[] sum = new float[k];
                    double stepLoss = 0;
                    int mb = groupStart;
                    for (ShardGradients r : results) {
                        for (int i = 0; i < r.losses().length; i++, mb++) {
                            float loss = r.losses()[i];
                            if (!Float.isFinite(loss)) {
                                throw new NonFiniteException("loss became " + loss + " in epoch " + (epoch + 1) + ", micro-batch " + (mb + 1)
                                        + "; parameters are as after optimizer step " + opt.stepCount());
                            }
                            float[] g = r.gradients()[i];
                            for (int j = 0; j < k; j++) sum[j] += g[j];
                            stepLoss += (double) loss / groupSize;
                            tokens += batches.get(mb).tokens().length;
                            up += 4L * k + 4;
                        }
                    }
                    shardTasks += parts;
                    microBatches += groupSize;
                    down += 4L * k * parts;
                    grads.copyFrom(sum);
                    float lr = settings.learningRate(opt.stepCount(), totalSteps);
                    opt.step(lr);
                    losses.add(stepLoss);
                    progress.step(opt.stepCount(), totalSteps, stepLoss, lr, tokens, (System.nanoTime() - t0) / 1e9);
                }
            }
        } finally {
            sc.clearJobGroup();
            dataB.destroy();
            maskB.destroy();
        }
        long sparkBytes = counter.bytes(shardTasks);
        counter.unregister(sc);
        float[] trained = values.toArray();
        MaskedCoordinates.scatter(driverModel.parameters(), idx, trained);
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Result(new Trainer.Result(losses, opt.stepCount(), tokens, secs, false, 0), trained,
                new Exchange(k, driverModel.layout().size(), opt.stepCount(), shardTasks, microBatches, down, up, sparkBytes));
    }

    /** Runs on an executor: its model set to the driver's values, then each micro-batch's loss and masked gradient. */
    static ShardGradients shard(ModelShipment shipment, Broadcast<int[]> maskB, Broadcast<ArrayList<ArrayList<ShippedBatch>>> dataB,
                                float[] values, Shard s, String key) {
        int[] idx = maskB.value();
        List<ShippedBatch> batches = dataB.value().get(s.epoch());
        try (ExecutorModels.Lease lease = ExecutorModels.borrow(key, shipment, m -> m.setTrainableIndices(idx))) {
            LlamaModel m = lease.model;
            MaskedCoordinates.scatter(m.parameters(), idx, values);
            Tensor grads = m.gradients();
            int count = s.to() - s.from();
            float[] losses = new float[count];
            float[][] gradients = new float[count][];
            for (int i = 0; i < count; i++) {
                TokenBatch b = batches.get(s.from() + i).toTokenBatch();
                grads.zero();
                Tensor loss = m.loss(b.tokens(), b.targets(), b.batch(), b.seq());
                losses[i] = loss.item();
                // scaled before backward exactly as the local Trainer scales a micro-batch of an accumulated step
                (s.groupSize() == 1 ? loss : Elementwise.scale(loss, 1f / s.groupSize())).backward();
                gradients[i] = MaskedCoordinates.gather(grads, idx);
            }
            return new ShardGradients(losses, gradients);
        }
    }
}
