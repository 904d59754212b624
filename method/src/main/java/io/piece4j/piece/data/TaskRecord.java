package io.piece4j.piece.data;

/** One example of a task, TRACE's format: the prompt, the expected answer, and where it came from. */
public record TaskRecord(String prompt, String answer, int line) {}
