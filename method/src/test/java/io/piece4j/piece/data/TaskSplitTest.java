package io.piece4j.piece.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Train/test splits of one file's records: sizes, determinism, disjointness, the training cap. */
class TaskSplitTest {
    private static List<TaskRecord> records(int n) {
        List<TaskRecord> r = new ArrayList<>();
        for (int i = 0; i < n; i++) r.add(new TaskRecord("p" + i, "a" + i, i + 1));
        return r;
    }

    private static void assertInFileOrder(List<TaskRecord> side, String name) {
        for (int i = 1; i < side.size(); i++) {
            assertTrue(side.get(i - 1).line() < side.get(i).line(), name + " out of file order at " + i + ": " + side);
        }
    }

    @Test
    void aSplitByCountIsDisjointInFileOrderAndTheSameForTheSameSeed() {
        List<TaskRecord> all = records(50);
        TaskSplit s = TaskSplit.byCount(all, 10, 0, 9);
        assertEquals(10, s.test().size(), "test records");
        assertEquals(40, s.train().size(), "train records: all the rest");
        Set<TaskRecord> union = new HashSet<>(s.train());
        union.addAll(s.test());
        assertEquals(new HashSet<>(all), union, "every record on exactly one side");
        assertInFileOrder(s.train(), "train");
        assertInFileOrder(s.test(), "test");
        assertEquals(s, TaskSplit.byCount(all, 10, 0, 9), "same seed, same split");
        assertNotEquals(s.test(), TaskSplit.byCount(all, 10, 0, 10).test(), "another seed, another test set");
    }

    @Test
    void theTrainingCapTakesFromTheRestWithoutMovingTheTestSet() {
        List<TaskRecord> all = records(50);
        TaskSplit uncapped = TaskSplit.byCount(all, 10, 0, 3);
        TaskSplit capped = TaskSplit.byCount(all, 10, 25, 3);
        TaskSplit smaller = TaskSplit.byCount(all, 10, 5, 3);
        assertEquals(25, capped.train().size(), "capped training set");
        assertEquals(uncapped.test(), capped.test(), "the cap does not change the test set");
        assertTrue(capped.train().containsAll(smaller.train()), "raising the cap only adds training records");
        assertTrue(uncapped.train().containsAll(capped.train()), "capped records come from the uncapped ones");
        assertEquals(40, TaskSplit.byCount(all, 10, 1000, 3).train().size(), "a cap above the rest takes the rest");
    }

    @Test
    void aFractionIsRoundedToACountOfAtLeastOne() {
        List<TaskRecord> all = records(50);
        assertEquals(TaskSplit.byCount(all, 10, 0, 1), TaskSplit.byFraction(all, 0.2, 0, 1), "0.2 of 50 is the same as 10");
        assertEquals(13, TaskSplit.byFraction(all, 0.25, 0, 1).test().size(), "12.5 rounds to 13");
        assertEquals(1, TaskSplit.byFraction(records(4), 0.01, 0, 1).test().size(), "a positive fraction gives at least one");
        assertEquals(0, TaskSplit.byFraction(all, 0, 0, 1).test().size(), "0 = no test set");
    }

    @Test
    void splitsThatLeaveNoTrainingRecordAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> TaskSplit.byCount(records(5), 5, 0, 1), "all in test");
        assertThrows(IllegalArgumentException.class, () -> TaskSplit.byCount(records(5), -1, 0, 1), "negative test count");
        assertThrows(IllegalArgumentException.class, () -> TaskSplit.byFraction(records(5), 1.0, 0, 1), "fraction 1");
        assertThrows(IllegalArgumentException.class, () -> TaskSplit.byFraction(records(5), Double.NaN, 0, 1), "NaN");
        assertThrows(IllegalArgumentException.class, () -> TaskSplit.byCount(records(5), 1, -1, 1), "negative cap");
    }
}
