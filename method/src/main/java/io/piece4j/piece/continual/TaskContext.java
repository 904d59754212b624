package io.piece4j.piece.continual;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.data.Batcher;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.train.EpochData;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything a method may look at when it prepares for, or finishes, one task. Data of earlier tasks is
 * only handed to methods that declare {@link ContinualMethod#seesOldData()}, so the report's "sees old
 * data" column cannot lie.
 *
 * @param model       the model being trained, as the previous task left it
 * @param tokenizer   the suite's tokenizer
 * @param suite       the whole suite (tasks in order)
 * @param taskIndex   0-based index of the current task
 * @param train       the current task's training examples, tokenised and cut to the context
 * @param settings    the run's settings
 * @param methodLr    the learning rate this method trains with
 * @param seed        the run's seed
 * @param stateDir    a folder the method may use for large state
 */
public record TaskContext(LlamaModel model, Tokenizer tokenizer, Suite suite, int taskIndex, List<Example> train,
                          ContinualSettings settings, float methodLr, long seed, Path stateDir, boolean seesOldData) {

    public SuiteTask task() { return suite.tasks().get(taskIndex); }

    public int maxSeqLen() { return model.config().maxSeqLen(); }

    /** The current task's batches in dataset order, for importance estimation (PIECE section 2). */
    public List<TokenBatch> importanceBatches() {
        return Batcher.inOrder(train, settings.importanceBatch(), maxSeqLen());
    }

    /** The standard epochs over some examples: micro-batches of the run's batch size, shuffled per (seed, epoch). */
    public EpochData shuffledEpochs(List<Example> examples) {
        int batch = settings.batchSize();
        int maxSeq = maxSeqLen();
        long s = seed;
        return epoch -> Batcher.shuffled(examples, batch, maxSeq, s, epoch);
    }

    /**
     * Tasks before the current one, with their training data; only for methods that declare they see old
     * data (replay, GEM).
     */
    public List<SuiteTask> earlierTasks() {
        if (!seesOldData) throw new IllegalStateException("this method did not declare seesOldData(); it may not read earlier tasks' data");
        return suite.tasks().subList(0, taskIndex);
    }
}
