package io.piece4j.piece.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the readers of both formats put records and bad-record reports, according to the policy. */
final class RecordSink {
    final Path path;
    private final BadRecordPolicy policy;
    final List<TaskRecord> records = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    int skipped;

    RecordSink(Path path, BadRecordPolicy policy) {
        this.path = path;
        this.policy = policy;
    }

    /** A bad record starting at line: counted and kept (SKIP) or thrown (REJECT). */
    void bad(int line, String what) throws TaskDataException {
        String message = path + ": line " + line + ": " + what;
        if (policy == BadRecordPolicy.REJECT) throw new TaskDataException(message);
        skipped++;
        if (problems.size() < TaskReader.KEPT_PROBLEMS) problems.add(message);
    }

    /** A complete JSON object: a record, or a bad one if its bytes or its fields are wrong. */
    void accept(int line, RecordFields fields, boolean validUtf8) throws TaskDataException {
        if (!validUtf8) bad(line, "the record has bytes that are not valid UTF-8");
        else if (fields.problem() != null) bad(line, fields.problem());
        else records.add(new TaskRecord(fields.prompt(), fields.answer(), line));
    }
}
