package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The downstream tasks of the bundled benchmark: their records and generators. */
public final class BundledTasks {
    private BundledTasks() {}

    /** One record: {"prompt": ..., "answer": ...}. */
    public record Item(String prompt, String answer) {
        /** UTF-8 bytes of prompt and answer: byte-tokenizer ids, without BOS and EOS. */
        public int bytes() { return (prompt + answer).getBytes(java.nio.charset.StandardCharsets.UTF_8).length; }
    }

    /** A task: its suite entry and a generator of its records. */
    public interface Task {
        /** Folder and suite name. */
        String name();
        /** What the task is, in a few words. */
        String domain();
        /** The metric's name as piece continual knows it. */
        String metric();
        /** Greedy decoding budget for an answer. */
        int maxNewTokens();
        /** One record, drawn from rng. */
        Item next(Rng rng);

        /** count records with distinct prompts (across all splits), each fitting BOS + prompt + answer + EOS in context tokens. */
        default List<Item> distinctItems(Rng rng, int count, int context) {
            Set<String> seen = new LinkedHashSet<>();
            List<Item> out = new ArrayList<>();
            int tries = 0;
            while (out.size() < count) {
                if (++tries > 100 * count) throw new IllegalStateException(name() + ": cannot draw " + count + " distinct records");
                Item it = next(rng);
                if (it.bytes() + 2 <= context && seen.add(it.prompt())) out.add(it);
            }
            return out;
        }
    }

    /**
     * The tasks in the suite's order. Each comes from a different domain and answers in a different form
     * (letter, invented words, ISO date, code, letter among kinds, summary), so learning one teaches little of
     * the next. An arithmetic task (word problems, NumGLUE's kind) was tried in three forms and removed: full
     * fine-tuning of the bundled base did not learn any of them (docs/results/README.md, section 4).
     */
    public static List<Task> all(World world) {
        return List.of(new StanceTask(world), new TranslationTask(), new DateTask(), new CodeTask(), new CategoryTask(world),
                new MinutesTask(world));
    }

    /** The first names of the world's people, in the world's order. */
    static String[] firstNames(World world) {
        return world.people().stream().map(World.Person::first).toArray(String[]::new);
    }
}
