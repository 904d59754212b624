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
    public record Item(String prompt, String answer) {}

    /** A task generator. */
    public interface Task {
        String name();
        String domain();
        String metric();
        int maxNewTokens();
        Item next(Rng rng);

        /** count records with distinct prompts, each fitting BOS + prompt + answer + EOS in context bytes. */
        default List<Item> distinctItems(Rng rng, int count, int context) {
            Set<String> seen = new LinkedHashSet<>();
            List<Item> out = new ArrayList<>();
            int tries = 0;
            while (out.size() < count) {
                if (++tries > 100 * count) throw new IllegalStateException(name() + ": cannot draw " + count + " distinct records");
                Item it = next(rng);
                if (seen.add(it.prompt())) out.add(it);
            }
            return out;
        }
    }
}
