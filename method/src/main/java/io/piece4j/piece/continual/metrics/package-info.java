/**
 * Scoring of continual-learning runs: per-task metrics on generated text ({@link
 * io.piece4j.piece.continual.metrics.TaskMetric}) and the transfer metrics over the matrix of scores after
 * every task ({@link io.piece4j.piece.continual.metrics.TransferMetrics}). Pure functions of their inputs:
 * no model, no files.
 */
package io.piece4j.piece.continual.metrics;
