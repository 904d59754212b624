package io.piece4j.piece.continual.methods;

import io.piece4j.nn.tokenizer.Tokenizer;
import io.piece4j.piece.continual.SuiteTask;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.data.Example;
import io.piece4j.piece.data.TaskRecord;
import io.piece4j.piece.data.TruncationSettings;
import io.piece4j.tensor.Rng;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The examples a method keeps of an earlier task (replay's 10 %, GEM's m per task): a draw without
 * replacement from the task's training records, seeded by (run seed, task index) only, so the memory of
 * a task is the same whichever later task is being trained and after a resume. The drawn records keep
 * their dataset order and are cut to their own task's limits.
 */
public final class EpisodicMemory {
    private EpisodicMemory() {}

    /** Examples kept of a task with n training records for a fraction in (0, 1]: max(1, floor(fraction * n)), and never more than n. */
    public static int countFor(double fraction, int n) {
        checkFraction("fraction", fraction);
        return Math.min(n, Math.max(1, (int) Math.floor(fraction * n)));
    }

    static void checkFraction(String key, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("--method-setting " + key + "=" + fraction + ": expected a fraction in (0, 1]");
        }
    }

    /** The indices (ascending) of count records drawn from n, for task taskIndex of a run with this seed. */
    public static int[] drawIndices(int n, int count, long seed, int taskIndex) {
        if (count < 0 || count > n) throw new IllegalArgumentException("cannot draw " + count + " of " + n + " records");
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        new Rng(streamSeed(seed, taskIndex)).shuffle(all);
        int[] kept = Arrays.copyOf(all, count);
        Arrays.sort(kept);
        return kept;
    }

    /** count examples of one earlier task, tokenised with its own limits. */
    public static List<Example> draw(SuiteTask task, int taskIndex, int count, long seed, Tokenizer tokenizer, int maxSeqLen) {
        List<TaskRecord> records = task.train();
        TruncationSettings limits = new TruncationSettings(task.maxPromptTokens(), task.maxAnswerTokens(), maxSeqLen);
        List<Example> out = new ArrayList<>(count);
        for (int i : drawIndices(records.size(), Math.min(count, records.size()), seed, taskIndex)) {
            out.add(Example.of(records.get(i), tokenizer, limits));
        }
        return out;
    }

    /** The kept examples of every task before the current one, task after task: count per task from perTask. */
    static List<List<Example>> ofEarlierTasks(TaskContext ctx, java.util.function.IntUnaryOperator perTask) {
        List<List<Example>> out = new ArrayList<>();
        List<SuiteTask> earlier = ctx.earlierTasks();
        for (int k = 0; k < earlier.size(); k++) {
            SuiteTask t = earlier.get(k);
            out.add(draw(t, k, perTask.applyAsInt(t.train().size()), ctx.seed(), ctx.tokenizer(), ctx.maxSeqLen()));
        }
        return out;
    }

    /** A generator seed of its own for each (seed, task), apart from the epoch shuffles' seed * stride + epoch. */
    private static long streamSeed(long seed, int taskIndex) {
        long z = seed * 0x9E3779B97F4A7C15L + 0x6A09E667F3BCC909L * (taskIndex + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
