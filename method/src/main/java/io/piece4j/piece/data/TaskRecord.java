package io.piece4j.piece.data;

/**
 * One example of a task in TRACE's format: the prompt, the expected answer (never empty), and the line
 * of the file where the record starts (1-based), so later messages can point back at it.
 */
public record TaskRecord(String prompt, String answer, int line) {}
