package io.piece4j.piece.continual;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A continual-learning method as the runner drives it, task after task: {@link #prepare} decides what
 * trains on the next task (PIECE: importance on the current model, then the global top-k), the one
 * trainer trains it with the method's hooks, {@link #afterTask} does the method's work after training
 * (EWC: store the Fisher), and {@link #saveState}/{@link #loadState} carry that work across a resume.
 *
 * <p>Implementations: {@code io.piece4j.piece.continual.methods}; created by name through
 * {@link io.piece4j.piece.continual.methods.MethodCatalog}.
 */
public interface ContinualMethod {
    /** The name users type in --methods ("piece-s"). */
    String name();

    /** One line for the report: what it trains and how it chooses. */
    String describe();

    /** Whether it keeps and uses data of earlier tasks (replay, GEM): the report says so in a column. */
    default boolean seesOldData() { return false; }

    /**
     * Parameters it adds beside the model's (adapters), for the report; may grow as tasks are learned (a
     * new adapter per task), so the runner records it after every task.
     */
    default long addedParameters() { return 0; }

    /** What to train on the task in ctx, with which hooks and data. Called with the model as the last task left it. */
    TrainPlan prepare(TaskContext ctx) throws IOException;

    /** After the task is trained, before it is evaluated. */
    default void afterTask(TaskContext ctx) throws IOException {}

    /** Writes whatever afterTask accumulated into dir (which exists), so a resumed run can continue. */
    default void saveState(Path dir) throws IOException {}

    /** Reads what {@link #saveState} wrote after the last finished task. */
    default void loadState(Path dir, TaskContext next) throws IOException {}
}
