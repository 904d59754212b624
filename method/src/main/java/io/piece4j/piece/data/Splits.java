package io.piece4j.piece.data;

import io.piece4j.tensor.Rng;

import java.util.ArrayList;
import java.util.List;

/** Deterministic train/test splits of one task's records. */
public final class Splits {
    private Splits() {}

    public record Split(List<TaskRecord> train, List<TaskRecord> test) {}

    /**
     * Shuffles with the seed, puts testCount records in test and at most maxTrain (0 = all) of the rest in
     * train, each side kept in the file's order.
     */
    public static Split split(List<TaskRecord> records, int testCount, int maxTrain, long seed) {
        if (testCount < 0 || testCount >= records.size()) {
            throw new IllegalArgumentException("test split of " + testCount + " leaves no training record out of " + records.size());
        }
        int[] order = new int[records.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        new Rng(seed).shuffle(order);
        boolean[] isTest = new boolean[order.length];
        for (int i = 0; i < testCount; i++) isTest[order[i]] = true;
        boolean[] isTrain = new boolean[order.length];
        int room = maxTrain > 0 ? maxTrain : Integer.MAX_VALUE;
        for (int i = testCount; i < order.length && room > 0; i++, room--) isTrain[order[i]] = true;
        List<TaskRecord> train = new ArrayList<>(), test = new ArrayList<>();
        for (int i = 0; i < order.length; i++) {
            if (isTest[i]) test.add(records.get(i));
            else if (isTrain[i]) train.add(records.get(i));
        }
        return new Split(train, test);
    }
}
