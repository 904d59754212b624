package io.piece4j.distributed;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.model.ModelFiles;
import io.piece4j.nn.model.ParameterLayout;
import io.piece4j.piece.Estimator;
import io.piece4j.piece.ImportanceEstimation;
import io.piece4j.piece.Mask;
import io.piece4j.piece.data.Batcher;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.train.EpochData;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Data-parallel masked training on local[2] against the local Trainer, and its exchange per step. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DataParallelTrainerTest {

    /** The fixture's PIECE-S mask at ratio 0.02, plus every gain of layer 0's attention norm (so the RMSNorm path is trained too). */
    static Mask mask(SparkFixture f, LlamaModel base) {
        Mask top = ImportanceEstimation.run(base, f.importanceBatches(4), Estimator.PIECE_S, 0.02, "reverse", 4).mask();
        TreeSet<Integer> all = new TreeSet<>();
        for (int i : top.indices()) all.add(i);
        ParameterLayout.Entry norm = base.layout().get("layers.0.attn_norm");
        for (long i = norm.offset(); i < norm.offset() + norm.numel(); i++) all.add((int) i);
        return new Mask(all.stream().mapToInt(Integer::intValue).toArray(), top.parameterCount(), top.eligibleCount(), top.ratio(),
                top.estimator() + "+norm", top.task(), top.modelHash(), top.batches(), top.batchSize());
    }

    /** Two epochs of micro-batches of 2, three per step (the last step of an epoch has one). */
    static TrainSettings settings() {
        return new TrainSettings(2, 1e-2f, "constant", 0, 2, 3, 1.0, 0.9f, 0.95f, 1e-8f, 0f, 5, 0, false);
    }

    static EpochData data(List<Example> examples) {
        return epoch -> Batcher.shuffled(examples, 2, SparkFixture.CONFIG.maxSeqLen(), 5, epoch);
    }

    /** The local Trainer's parameters and losses. */
    static Object[] local(SparkFixture f, Mask mask) throws Exception {
        try (Backend be = Backends.create("simd", 1)) {
            LlamaModel m = ModelFiles.load(f.model, be);
            Trainer.Result r = new Trainer(m, mask, settings(), data(f.examples()), "reverse", null).run(false);
            return new Object[] {m.parameters().toArray(), r.losses()};
        }
    }

    /** Trains on sc with the given shards; returns the driver model's parameters and the result. */
    static Object[] distributed(JavaSparkContext sc, SparkFixture f, Mask mask, int shards) throws Exception {
        try (Backend be = Backends.create("simd", 1)) {
            LlamaModel m = ModelFiles.load(f.model, be);
            ModelShipment ship = ModelShipment.of(sc, f.model, "simd", 1, null);
            DataParallelTrainer.Result r = new DataParallelTrainer(sc, ship, mask, settings(), data(f.examples()), shards).run(m);
            return new Object[] {m.parameters().toArray(), r};
        }
    }

    @Test
    void stepsOverTwoExecutorsEqualTheLocalTrainerAndExchangeKFloats() throws Exception {
        SparkFixture f = SparkFixture.shared();
        Mask mask;
        try (Backend be = Backends.create("simd", 1)) {
            mask = mask(f, ModelFiles.load(f.model, be));
        }
        Object[] expected = local(f, mask);
        Object[] actual;
        try (JavaSparkContext sc = SparkConnection.open(SparkFixture.local(2), "trainer test")) {
            actual = distributed(sc, f, mask, 2);
        }
        DataParallelTrainer.Result r = (DataParallelTrainer.Result) actual[1];
        assertEquals(expected[1], r.training().losses(), "loss of every optimizer step");
        assertArrayEquals((float[]) expected[0], (float[]) actual[0], "trained parameters (all P)");

        DataParallelTrainer.Exchange x = r.exchange();
        int k = mask.size();
        // 20 examples in micro-batches of 2: 10 per epoch, steps of 3 + 3 + 3 + 1 -> 4 steps, 7 shard tasks per epoch
        assertEquals(8, x.steps(), "optimizer steps");
        assertEquals(14, x.shardTasks(), "shard tasks: two per step of three micro-batches, one for the step of one");
        assertEquals(20, x.microBatches());
        assertEquals(4L * k * 14, x.valueBytesDown(), "k float32 values to every shard");
        assertEquals((4L * k + 4) * 20, x.gradientBytesUp(), "k float32 gradients and a loss per micro-batch");
        assertTrue(x.bytesPerStep() * 10 < x.denseBytesPerStep(), "the masked exchange is far below a dense all-reduce: " + x.summary());
        assertTrue(x.sparkResultBytes() > x.gradientBytesUp(), "Spark's count of result bytes includes the gradients: " + x.summary());
        System.out.println("exchange (local[2]): " + x.summary());
    }
}
