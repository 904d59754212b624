package io.piece4j.cli;

import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.data.BadRecordPolicy;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.data.TaskFile;
import io.piece4j.piece.data.TaskReader;
import io.piece4j.piece.data.TaskRecord;
import io.piece4j.piece.data.TruncationSettings;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Where a task's data comes from and how it is cut into examples. */
final class TaskOptions {
    @Option(names = "--data", required = true, description = "task records: a JSON array or JSONL of {\"prompt\": ..., \"answer\": ...}") Path data;
    @Option(names = "--bad-records", defaultValue = "skip", description = "skip (count and report) or reject (stop at the first)") String badRecords;
    @Option(names = "--max-prompt-tokens", defaultValue = "0", description = "keep the last N prompt tokens (0 = all)") int maxPromptTokens;
    @Option(names = "--max-answer-tokens", defaultValue = "0", description = "keep the first N answer tokens (0 = all)") int maxAnswerTokens;
    @Option(names = "--max-examples", defaultValue = "0", description = "use only the first N records (0 = all; the paper uses 1000)") int maxExamples;

    /** The examples, tokenised; skipped records are reported on stderr (the first 20). */
    List<Example> examples(Tokenizer tok, int maxSeqLen) throws IOException {
        BadRecordPolicy policy = switch (badRecords.toLowerCase(Locale.ROOT)) {
            case "skip" -> BadRecordPolicy.SKIP;
            case "reject" -> BadRecordPolicy.REJECT;
            default -> throw new IllegalArgumentException("--bad-records must be skip or reject, got " + badRecords);
        };
        TaskFile f = TaskReader.read(data, policy);
        if (f.skipped() > 0) {
            System.err.println(data + ": skipped " + f.skipped() + " bad record(s):");
            f.problems().stream().limit(20).forEach(p -> System.err.println("  " + p));
        }
        List<TaskRecord> records = maxExamples > 0 && f.records().size() > maxExamples ? f.records().subList(0, maxExamples) : f.records();
        TruncationSettings limits = new TruncationSettings(maxPromptTokens, maxAnswerTokens, maxSeqLen);
        List<Example> out = new ArrayList<>();
        int truncated = 0;
        for (TaskRecord r : records) {
            Example e = Example.of(r, tok, limits);
            if (e.truncated()) truncated++;
            out.add(e);
        }
        if (truncated > 0) System.err.println(data + ": " + truncated + " of " + out.size() + " examples truncated");
        return out;
    }

    String taskName() {
        String n = data.getFileName().toString();
        int dot = n.indexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    RunRecord describe() {
        return new RunRecord().put("data", data.toString()).put("bad_records", badRecords).put("max_prompt_tokens", maxPromptTokens)
                .put("max_answer_tokens", maxAnswerTokens).put("max_examples", maxExamples);
    }
}
