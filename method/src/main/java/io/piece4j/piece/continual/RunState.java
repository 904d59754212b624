package io.piece4j.piece.continual;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What one run (a method variant with one seed) has finished, rewritten after every task: enough to
 * resume after the last finished task and to build the report.
 *
 * @param variant        the name in results.json ("piece-s", or "piece-s@0.01" when several ratios run)
 * @param method         the method's name
 * @param ratio          its mask ratio (0 for methods without one)
 * @param seed           the run's seed
 * @param lr             its learning rate
 * @param description    what it trains, one line
 * @param seesOldData    whether it used earlier tasks' data
 * @param addedParameters parameters added beside the model's
 * @param tasks          one outcome per finished task, in order
 */
public record RunState(String variant, String method, double ratio, long seed, float lr, String description,
                       boolean seesOldData, long addedParameters, List<TaskOutcome> tasks) {
    public RunState {
        tasks = List.copyOf(tasks);
    }

    /**
     * One finished task.
     *
     * @param task               its name
     * @param scores             (T) every suite task's score after training this one
     * @param answerLoss         (T) every suite task's answer loss
     * @param probes             each probe's score, by probe name
     * @param trainLosses        loss per optimizer step
     * @param steps              optimizer steps
     * @param trainedCoordinates coordinates the optimizer updated (k, or P)
     * @param parameterCount     P of the model
     * @param maskPerTensor      selected count per parameter tensor (masked methods; empty otherwise)
     * @param changedParameters  parameters whose bits differ from before the task
     * @param prepareSeconds     the method's preparation (importance pass and selection for PIECE)
     * @param trainSeconds       training
     * @param evalSeconds        evaluation of every task and the probes
     * @param samples            per suite task, a few decoded test examples
     */
    public record TaskOutcome(String task, double[] scores, double[] answerLoss, Map<String, Probe.ProbeScore> probes,
                              List<Double> trainLosses, long steps, long trainedCoordinates, long parameterCount,
                              Map<String, Long> maskPerTensor, long changedParameters,
                              double prepareSeconds, double trainSeconds, double evalSeconds,
                              List<List<TaskEvaluator.Sample>> samples) {}

    /** The same state with the parameters the method holds now (adapters appear with the first task). */
    public RunState withAddedParameters(long added) {
        return new RunState(variant, method, ratio, seed, lr, description, seesOldData, added, tasks);
    }

    public RunState with(TaskOutcome next) {
        List<TaskOutcome> all = new ArrayList<>(tasks);
        all.add(next);
        return new RunState(variant, method, ratio, seed, lr, description, seesOldData, addedParameters, all);
    }

    /**
     * The base model's scores, shared by every run of an output folder.
     *
     * @param scores     (T) each task's score
     * @param answerLoss (T) each task's answer loss
     * @param probes     each probe's score
     * @param samples    per task, a few decoded test examples
     * @param seconds    time to evaluate
     */
    public record Base(double[] scores, double[] answerLoss, Map<String, Probe.ProbeScore> probes,
                       List<List<TaskEvaluator.Sample>> samples, double seconds) {}
}
