package io.piece4j.piece.continual;

import io.piece4j.nn.model.LlamaModel;

import java.util.Map;

/**
 * A measure of general ability, scored on the base model and after every task; its change from the base
 * is what a continual-learning method should keep small.
 */
public interface Probe {
    /** Short name for tables and file names. */
    String name();

    /** One line on what is measured, for the report. */
    String describe();

    /** Whether a larger primary value is better. */
    boolean higherIsBetter();

    ProbeScore score(LlamaModel model);

    /**
     * @param primary the number that stands for the probe in tables and charts
     * @param parts   every component, by name (the primary among them)
     */
    record ProbeScore(double primary, Map<String, Double> parts) {}
}
