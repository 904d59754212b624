package io.piece4j.cli;

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

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * What the distributed module (Apache Spark) does for the commands when --spark is given. Found with
 * ServiceLoader: the module, and Spark with it, is on the class path only when the launcher sees --spark,
 * so the core and the demo never load or download Spark.
 */
public interface SparkSupport {
    /** Every (variant, seed) of the spec as one Spark task; writes and returns what the local runner would. */
    ContinualResults continual(SparkOptions spark, ContinualRun.Spec spec, TokenizerSource tokenizer, Backend backend) throws IOException;

    /**
     * The importance pass over batches (dataset order) split over partitions; G and H combined in a fixed
     * tree over {@code leaves} groups of consecutive batches (see the module's docs for what is bit-exact).
     */
    ImportanceAccumulator importance(SparkOptions spark, Path modelFile, LlamaModel model, List<TokenBatch> batches, int leaves)
            throws IOException;

    /**
     * Masked training with every optimizer step's micro-batches spread over executors, which send only the
     * gradient at the mask's k coordinates; the model is updated in place, and facts on the exchange (bytes
     * per step against a dense all-reduce) are put into record.
     */
    Trainer.Result train(SparkOptions spark, Path modelFile, LlamaModel model, Mask mask, TrainSettings settings, EpochData data,
                         String task, Map<String, Object> record) throws IOException;

    /** The module's implementation, or one clear error naming what is missing. */
    static SparkSupport require(SparkOptions spark) {
        for (SparkSupport s : ServiceLoader.load(SparkSupport.class)) return s;
        throw new IllegalStateException("--spark " + spark.master() + ": the distributed module (Apache Spark) is not on the class path;"
                + " run through ./piece, which builds it and adds it when --spark is given (or put distributed/target/lib/* on the class path)");
    }
}
