package io.piece4j.piece.continual.methods;

import io.piece4j.nn.model.LlamaModel;
import io.piece4j.piece.TokenBatch;
import io.piece4j.piece.continual.Suite;
import io.piece4j.piece.continual.TaskContext;
import io.piece4j.piece.continual.TrainPlan;
import io.piece4j.piece.data.Example;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Replay and Replay-online: the memory they draw, and where its examples go in the epochs. */
class ReplayTest {
    private static final Suite SUITE = TinyTasks.suite(
            TinyTasks.task("forty", 40, i -> new String[] {"a" + i + "=", "x"}),
            TinyTasks.task("thirty", 30, i -> new String[] {"b" + i + "=", "y"}),
            TinyTasks.task("current", 12, i -> new String[] {"c" + i + "=", "z"}));

    private static TaskContext ctx(LlamaModel m, long seed) {
        return TinyTasks.context(m, SUITE, 2, TinyTasks.settings(4), seed, true);
    }

    /** Each example in the batches as its token string, counted. */
    private static Map<String, Integer> contents(List<TokenBatch> batches) {
        Map<String, Integer> out = new HashMap<>();
        for (TokenBatch b : batches) {
            for (int r = 0; r < b.batch(); r++) {
                int[] row = Arrays.copyOfRange(b.tokens(), r * b.seq(), (r + 1) * b.seq());
                int end = row.length;
                while (end > 0 && row[end - 1] == io.piece4j.piece.data.Batcher.PAD_ID) end--;
                out.merge(Arrays.toString(Arrays.copyOf(row, end)), 1, Integer::sum);
            }
        }
        return out;
    }

    private static Map<String, Integer> contentsOf(List<Example> examples) {
        Map<String, Integer> out = new HashMap<>();
        for (Example e : examples) out.merge(Arrays.toString(e.tokens()), 1, Integer::sum);
        return out;
    }

    @Test
    void drawsExactlyTheStatedFractionOfEachEarlierTaskWithAFixedSeed() {
        assertEquals(4, EpisodicMemory.countFor(0.1, 40));
        assertEquals(3, EpisodicMemory.countFor(0.1, 30));
        assertEquals(1, EpisodicMemory.countFor(0.01, 30), "at least one example per task");
        assertEquals(30, EpisodicMemory.countFor(1.0, 30));

        int[] a = EpisodicMemory.drawIndices(40, 10, 7, 0), again = EpisodicMemory.drawIndices(40, 10, 7, 0);
        assertArrayEquals(a, again, "same seed and task, same draw");
        assertEquals(10, Arrays.stream(a).distinct().count(), "without replacement");
        assertTrue(Arrays.stream(a).allMatch(i -> i >= 0 && i < 40));
        assertFalse(Arrays.equals(a, EpisodicMemory.drawIndices(40, 10, 8, 0)), "another seed draws other records");
        assertFalse(Arrays.equals(a, EpisodicMemory.drawIndices(40, 10, 7, 1)), "another task draws other records");

        LlamaModel m = TinyTasks.model(1);
        List<Example> memory = Replay.memory(ctx(m, 7), 0.25);
        assertEquals(10 + 7, memory.size(), "floor(0.25 * 40) + floor(0.25 * 30)");
        List<Example> forty = TinyTasks.examples(SUITE.tasks().get(0), m), thirty = TinyTasks.examples(SUITE.tasks().get(1), m);
        List<Example> expected = new ArrayList<>();
        for (int i : EpisodicMemory.drawIndices(40, 10, 7, 0)) expected.add(forty.get(i));
        for (int i : EpisodicMemory.drawIndices(30, 7, 7, 1)) expected.add(thirty.get(i));
        assertEquals(expected, memory, "the memory is the seeded draw of each earlier task, task after task");
        assertEquals(memory, Replay.memory(ctx(m, 7), 0.25), "reproducible");
        assertTrue(Replay.memory(TinyTasks.context(m, SUITE, 0, TinyTasks.settings(4), 7, true), 0.25).isEmpty(), "no earlier task, no memory");
    }

    @Test
    void replayAddsOnePassOverTheMemoryAfterEachEpoch() {
        LlamaModel m = TinyTasks.model(1);
        TaskContext ctx = ctx(m, 3);
        Replay replay = new Replay(TinyTasks.options("replay.fraction", "0.25"));
        assertTrue(replay.seesOldData());
        TrainPlan plan = replay.prepare(ctx);
        List<Example> memory = Replay.memory(ctx, 0.25);
        for (int epoch = 0; epoch < 2; epoch++) {
            List<TokenBatch> own = ctx.shuffledEpochs(ctx.train()).batches(epoch);
            List<TokenBatch> all = plan.data().batches(epoch);
            assertEquals(own.size() + (memory.size() + 3) / 4, all.size(), "the task's batches, then the memory's");
            for (int i = 0; i < own.size(); i++) assertArrayEquals(own.get(i).tokens(), all.get(i).tokens(), "epoch " + epoch + " batch " + i);
            assertEquals(contentsOf(memory), contents(all.subList(own.size(), all.size())), "the extra pass holds exactly the memory");
        }
        assertFalse(Arrays.equals(plan.data().batches(0).getLast().tokens(), plan.data().batches(1).getLast().tokens()),
                "the memory pass is shuffled per epoch");
    }

    @Test
    void replayOnlineMixesTheMemoryIntoTheTaskBatches() {
        LlamaModel m = TinyTasks.model(1);
        TaskContext ctx = ctx(m, 3);
        ReplayOnline online = new ReplayOnline(TinyTasks.options("replay.fraction", "0.25"));
        assertTrue(online.seesOldData());
        List<Example> memory = Replay.memory(ctx, 0.25);
        List<TokenBatch> all = online.prepare(ctx).data().batches(0);
        List<Example> union = new ArrayList<>(ctx.train());
        union.addAll(memory);
        assertEquals(contentsOf(union), contents(all), "one epoch holds the task's examples and the memory, each once");
        assertEquals((union.size() + 3) / 4, all.size());
        boolean mixed = false;
        Map<String, Integer> old = contentsOf(memory), own = contentsOf(ctx.train());
        for (TokenBatch b : all) {
            Map<String, Integer> c = contents(List.of(b));
            mixed |= c.keySet().stream().anyMatch(old::containsKey) && c.keySet().stream().anyMatch(own::containsKey);
        }
        assertTrue(mixed, "some batch holds both old and current examples");
    }

    @Test
    void fractionOutsideZeroToOneIsRejected() {
        for (String bad : new String[] {"0", "-0.1", "1.5", "NaN"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Replay(TinyTasks.options("replay.fraction", bad)));
            assertTrue(e.getMessage().contains("replay.fraction") && e.getMessage().contains("(0, 1]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new ReplayOnline(TinyTasks.options("replay.fraction", bad)));
        }
        new Replay(TinyTasks.options("replay.fraction", "1"));
    }
}
