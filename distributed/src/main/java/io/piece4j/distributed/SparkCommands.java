package io.piece4j.distributed;

import io.piece4j.cli.SparkOptions;
import io.piece4j.cli.SparkSupport;
import io.piece4j.cli.TokenizerSource;
import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.ImportanceAccumulator;
import io.piece4j.piece.Mask;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.ContinualResults;
import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.piece.train.EpochData;
import io.piece4j.piece.train.TrainSettings;
import io.piece4j.piece.train.Trainer;
import io.piece4j.tensor.spi.Backend;
import org.apache.spark.api.java.JavaSparkContext;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The commands' --spark paths (found by the CLI with ServiceLoader). */
public final class SparkCommands implements SparkSupport {
    @Override
    public ContinualResults continual(SparkOptions spark, ContinualRun.Spec spec, TokenizerSource tokenizer, Backend backend) throws IOException {
        try (JavaSparkContext sc = SparkConnection.open(spark, "piece4j continual " + spec.suite().name())) {
            return SparkSweep.run(sc, spark, spec, tokenizer, backend, System.err::println);
        }
    }

    @Override
    public ImportanceAccumulator importance(SparkOptions spark, Path modelFile, LlamaModel model, List<TokenBatch> batches, int leaves)
            throws IOException {
        try (JavaSparkContext sc = SparkConnection.open(spark, "piece4j importance")) {
            ModelShipment ship = ModelShipment.of(sc, modelFile, model.backend().name(), SparkConnection.taskThreads(sc), spark.shared());
            ImportanceTree tree = ImportanceTree.of(batches.size(), leaves);
            int parts = Math.min(SparkConnection.partitions(sc, spark), tree.leaves());
            System.err.printf("spark: importance over %d batches in %d leaves, %d partition(s) on %s%n", batches.size(), tree.leaves(), parts, sc.master());
            return DistributedImportance.accumulate(sc, ship, model, batches, tree, parts);
        }
    }

    @Override
    public Trainer.Result train(SparkOptions spark, Path modelFile, LlamaModel model, Mask mask, TrainSettings settings, EpochData data,
                                String task, Map<String, Object> record) throws IOException {
        try (JavaSparkContext sc = SparkConnection.open(spark, "piece4j train " + task)) {
            ModelShipment ship = ModelShipment.of(sc, modelFile, model.backend().name(), SparkConnection.taskThreads(sc), spark.shared());
            int shards = SparkConnection.partitions(sc, spark);
            System.err.printf("spark: masked training, k = %,d, up to %d shard(s) per step on %s%n", mask.size(), shards, sc.master());
            DataParallelTrainer.Result r = new DataParallelTrainer(sc, ship, mask, settings, data, shards).run(model);
            DataParallelTrainer.Exchange x = r.exchange();
            record.put("k", x.k());
            record.put("parameters", x.parameters());
            record.put("steps", x.steps());
            record.put("shard_tasks", x.shardTasks());
            record.put("micro_batches", x.microBatches());
            record.put("value_bytes_down", x.valueBytesDown());
            record.put("gradient_bytes_up", x.gradientBytesUp());
            record.put("bytes_per_step", x.bytesPerStep());
            record.put("dense_allreduce_bytes_per_step", x.denseBytesPerStep());
            record.put("spark_task_result_bytes", x.sparkResultBytes());
            record.put("summary", x.summary());
            return r.training();
        }
    }
}
