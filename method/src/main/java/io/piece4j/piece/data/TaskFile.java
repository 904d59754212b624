package io.piece4j.piece.data;

import java.nio.file.Path;
import java.util.List;

/** The usable records of a task file, and what was skipped (count and messages with file and line). */
public record TaskFile(Path path, List<TaskRecord> records, int skipped, List<String> problems) {}
