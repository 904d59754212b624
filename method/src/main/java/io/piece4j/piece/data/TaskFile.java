package io.piece4j.piece.data;

import java.nio.file.Path;
import java.util.List;

/**
 * The usable records of a task file, in file order, and what was left out.
 *
 * @param skipped  how many bad records were left out (policy SKIP)
 * @param problems one message per skipped record, "file: line N: what is wrong", the first
 *                 {@link TaskReader#KEPT_PROBLEMS} of them (callers print the first 20)
 */
public record TaskFile(Path path, List<TaskRecord> records, int skipped, List<String> problems) {}
