package io.piece4j.piece.data;

import io.piece4j.tensor.Rng;

import java.util.ArrayList;
import java.util.List;

/**
 * One task file's records split into training and test records, for data that comes as a single file
 * (TRACE ships separate files per split; users often do not). Deterministic from the seed: the records
 * are shuffled with {@code new Rng(seed)}, the first testCount go to test, the next maxTrain (0 = all the
 * rest) to train; each side keeps the file's order. The test set does not depend on maxTrain, so capping
 * the training set (the paper uses 1000 examples per task) never moves a record into or out of test.
 */
public record TaskSplit(List<TaskRecord> train, List<TaskRecord> test) {

    public static TaskSplit byCount(List<TaskRecord> records, int testCount, int maxTrain, long seed) {
        if (testCount < 0 || testCount >= records.size()) {
            throw new IllegalArgumentException("a test split of " + testCount + " out of " + records.size()
                    + " records must be >= 0 and leave at least one training record");
        }
        if (maxTrain < 0) throw new IllegalArgumentException("the training cap must be >= 0 (0 = no cap), got " + maxTrain);
        int[] order = new int[records.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        new Rng(seed).shuffle(order);
        int trainEnd = maxTrain == 0 ? order.length : (int) Math.min(order.length, (long) testCount + maxTrain);
        byte[] side = new byte[order.length]; // per record: 0 unused, 1 train, 2 test
        for (int i = 0; i < testCount; i++) side[order[i]] = 2;
        for (int i = testCount; i < trainEnd; i++) side[order[i]] = 1;
        List<TaskRecord> train = new ArrayList<>(trainEnd - testCount), test = new ArrayList<>(testCount);
        for (int r = 0; r < side.length; r++) {
            if (side[r] == 1) train.add(records.get(r));
            else if (side[r] == 2) test.add(records.get(r));
        }
        return new TaskSplit(List.copyOf(train), List.copyOf(test));
    }

    /**
     * testFraction of the records (rounded to the nearest count, at least one when the fraction is above
     * zero) go to test.
     */
    public static TaskSplit byFraction(List<TaskRecord> records, double testFraction, int maxTrain, long seed) {
        if (!(testFraction >= 0 && testFraction < 1)) {
            throw new IllegalArgumentException("the test fraction must be in [0, 1), got " + testFraction);
        }
        int testCount = (int) Math.round(testFraction * records.size());
        if (testFraction > 0 && testCount == 0) testCount = 1;
        return byCount(records, testCount, maxTrain, seed);
    }
}
