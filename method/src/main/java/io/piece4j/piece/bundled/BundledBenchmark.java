package io.piece4j.piece.bundled;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.piece4j.piece.bundled.World.Fact;
import io.piece4j.tensor.Rng;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * piece4j's own continual-learning benchmark, generated from a seed with no download: a pretraining
 * corpus about an invented {@link World}, downstream tasks from different domains ({@link BundledTasks}),
 * a general-ability probe, and the suite file that names them all.
 *
 * <pre>
 *   DIR/suite.json                       tasks in order, metrics, probe (format read by piece continual)
 *   DIR/corpus/train.txt, heldout.txt    documents, one per line, separated by blank lines; heldout.txt is an
 *                                        independent draw (short documents of this small world recur in both)
 *   DIR/TASK/{train,valid,test}.jsonl    {"prompt": ..., "answer": ...} per line (TRACE's fields)
 *   DIR/probe/heldout.txt                held-out text of the pretraining distribution, none of its documents
 *                                        in train.txt (mean NLL per token)
 *   DIR/probe/skills.jsonl               fact questions in the corpus's Q/A format (exact match, greedy)
 * </pre>
 *
 * Every file is a function of the seed and the sizes only: the same bytes on every machine and JDK.
 * Each part draws from its own generator ({@link #stream}), so changing one part (say, a task's size)
 * leaves the others' bytes unchanged; in particular the corpus depends on the seed and the corpus sizes
 * alone, which is what the committed base model was pretrained on.
 */
public final class BundledBenchmark {
    /** The seed the committed suite and base model use. */
    public static final long DEFAULT_SEED = 2026;
    /** The base model's context (byte tokens): BOS + prompt + answer + EOS of every record fits in it. */
    public static final int CONTEXT = 256;
    /** People and towns of the world. */
    static final int PEOPLE = 64, TOWNS = 12;

    /**
     * How much to generate.
     *
     * @param train             training records per task
     * @param valid             validation records per task
     * @param test              test records per task
     * @param corpusBytes       size of corpus/train.txt
     * @param heldoutBytes      size of corpus/heldout.txt
     * @param probeHeldoutBytes size of probe/heldout.txt
     * @param probeSkills       questions in probe/skills.jsonl
     */
    public record Sizes(int train, int valid, int test, int corpusBytes, int heldoutBytes, int probeHeldoutBytes, int probeSkills) {
        public Sizes {
            if (train < 1 || valid < 0 || test < 1) throw new IllegalArgumentException("train and test sizes must be >= 1, valid >= 0");
            if (corpusBytes < 1 || heldoutBytes < 1 || probeHeldoutBytes < 1 || probeSkills < 1) {
                throw new IllegalArgumentException("corpus, held-out and probe sizes must be >= 1");
            }
        }

        public static Sizes defaults() { return new Sizes(400, 100, 100, 4_000_000, 200_000, 16_000, 120); }

        public Sizes withTasks(int train, int valid, int test) {
            return new Sizes(train, valid, test, corpusBytes, heldoutBytes, probeHeldoutBytes, probeSkills);
        }
    }

    private BundledBenchmark() {}

    /** Writes the benchmark with the default sizes into dir (created if needed). */
    public static void generate(long seed, Path dir) throws IOException {
        generate(seed, dir, Sizes.defaults());
    }

    /** Writes the benchmark into dir; each file goes to a temporary name first and is then renamed. */
    public static void generate(long seed, Path dir, Sizes sizes) throws IOException {
        World world = world(seed);
        WorldText text = new WorldText(world);
        String train = text.documents(stream(seed, "corpus/train"), sizes.corpusBytes());
        write(dir.resolve("corpus/train.txt"), train);
        write(dir.resolve("corpus/heldout.txt"), text.documents(stream(seed, "corpus/heldout"), sizes.heldoutBytes()));
        // the world is small, so short documents recur: the probe's text keeps only documents the corpus lacks
        Set<String> seen = new HashSet<>(List.of(train.split("\n\n")));
        write(dir.resolve("probe/heldout.txt"), text.documents(stream(seed, "probe/heldout"), sizes.probeHeldoutBytes(), seen));
        write(dir.resolve("probe/skills.jsonl"), jsonl(probeSkills(world, stream(seed, "probe/skills"), sizes.probeSkills())));
        List<BundledTasks.Task> tasks = BundledTasks.all(world);
        for (BundledTasks.Task task : tasks) {
            Rng rng = stream(seed, "task/" + task.name());
            List<BundledTasks.Item> all = task.distinctItems(rng, sizes.train() + sizes.valid() + sizes.test(), CONTEXT);
            write(dir.resolve(task.name() + "/train.jsonl"), jsonl(all.subList(0, sizes.train())));
            write(dir.resolve(task.name() + "/valid.jsonl"), jsonl(all.subList(sizes.train(), sizes.train() + sizes.valid())));
            write(dir.resolve(task.name() + "/test.jsonl"), jsonl(all.subList(sizes.train() + sizes.valid(), all.size())));
        }
        write(dir.resolve("suite.json"), suiteJson(seed, tasks));
    }

    /** The world of a seed. */
    public static World world(long seed) {
        return World.create(stream(seed, "world"), PEOPLE, TOWNS);
    }

    /**
     * The generator of one part of the benchmark: SplitMix64 seeded from the benchmark seed and the
     * part's name (FNV-1a of its bytes), so parts are independent of each other.
     */
    static Rng stream(long seed, String part) {
        long h = 0xcbf29ce484222325L;
        for (byte b : part.getBytes(StandardCharsets.UTF_8)) h = (h ^ (b & 0xff)) * 0x100000001b3L;
        return new Rng(seed * 0x9E3779B97F4A7C15L ^ h);
    }

    /** probeSkills facts of the world, drawn without replacement, in the world's fact order. */
    static List<BundledTasks.Item> probeSkills(World world, Rng rng, int count) {
        List<Fact> facts = world.facts();
        if (count > facts.size()) throw new IllegalArgumentException("probe skills: " + count + " asked, the world has " + facts.size() + " facts");
        int[] order = new int[facts.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        rng.shuffle(order);
        int[] chosen = java.util.Arrays.copyOf(order, count);
        java.util.Arrays.sort(chosen);
        List<BundledTasks.Item> items = new ArrayList<>();
        for (int i : chosen) items.add(new BundledTasks.Item(facts.get(i).question(), facts.get(i).answer()));
        return items;
    }

    // ---------------------------------------------------------------- files

    static String jsonl(List<BundledTasks.Item> items) throws IOException {
        StringWriter w = new StringWriter();
        JsonFactory f = new JsonFactory();
        for (BundledTasks.Item item : items) {
            try (JsonGenerator g = f.createGenerator(w)) {
                g.writeStartObject();
                g.writeStringField("prompt", item.prompt());
                g.writeStringField("answer", item.answer());
                g.writeEndObject();
            }
            w.write('\n');
        }
        return w.toString();
    }

    static String suiteJson(long seed, List<BundledTasks.Task> tasks) throws IOException {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w).useDefaultPrettyPrinter()) {
            g.writeStartObject();
            g.writeStringField("name", "piece4j-bundled");
            g.writeNumberField("seed", seed);
            g.writeStringField("tokenizer", "byte");
            g.writeArrayFieldStart("tasks");
            for (BundledTasks.Task t : tasks) {
                g.writeStartObject();
                g.writeStringField("name", t.name());
                g.writeStringField("domain", t.domain());
                g.writeStringField("train", t.name() + "/train.jsonl");
                g.writeStringField("valid", t.name() + "/valid.jsonl");
                g.writeStringField("test", t.name() + "/test.jsonl");
                g.writeStringField("metric", t.metric());
                g.writeNumberField("max_new_tokens", t.maxNewTokens());
                g.writeNumberField("max_prompt_tokens", 0);
                g.writeNumberField("max_answer_tokens", 0);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("probe");
            g.writeStringField("heldout", "probe/heldout.txt");
            g.writeStringField("skills", "probe/skills.jsonl");
            g.writeStringField("skills_metric", "exact-match");
            g.writeNumberField("skills_max_new_tokens", 24);
            g.writeStringField("primary", "skills");
            g.writeEndObject();
            g.writeEndObject();
        }
        return w.toString().replace("\r\n", "\n") + "\n";
    }

    private static void write(Path file, String content) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
