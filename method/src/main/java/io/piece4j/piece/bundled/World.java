package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The invented world the pretraining corpus is about: people with a home town, a trade, a pet, a
 * favourite colour and a friend, and towns with a river and a product. Everything is drawn from one seeded
 * generator, so the same seed gives the same world on every machine.
 *
 * <p>These are the facts a base model learns in pretraining and can later lose: the probe asks them in
 * the corpus's own question format ({@link #facts()}).
 */
public final class World {
    /** Trades, pets, colours, products, rivers: plain words, so the corpus reads like language. */
    static final String[] TRADES = {"baker", "weaver", "smith", "fisher", "potter", "miller", "healer", "carpenter",
            "shepherd", "tailor", "brewer", "mason", "scribe", "farmer"};
    static final String[] PETS = {"goat", "cat", "dog", "hen", "owl", "donkey", "rabbit", "parrot", "pony", "turtle"};
    static final String[] COLOURS = {"red", "blue", "green", "amber", "grey", "white", "violet", "yellow"};
    static final String[] PRODUCTS = {"salt", "wool", "glass", "cheese", "honey", "rope", "paper", "iron", "wine", "bells",
            "lanterns", "boats"};

    /** A person; town and friend are indices into {@link #towns()} and {@link #people()}. */
    public record Person(String first, String family, boolean female, int town, String trade, String pet, String colour, int friend) {
        public String name() { return first + " " + family; }
        public String she() { return female ? "she" : "he"; }
        public String her() { return female ? "her" : "his"; }
        /** "a goat", "an owl". */
        public String aPet() { return article(pet) + " " + pet; }
    }

    /** A town on a river, known for a product. */
    public record Town(String name, String river, String product) {}

    /**
     * One fact as the corpus asks it: the question line up to and including "A:", and the answer that
     * follows it (with its leading space and final full stop).
     */
    public record Fact(String kind, String question, String answer) {
        /** The whole Q/A line as it appears in the corpus. */
        public String line() { return question + answer; }
    }

    private final List<Person> people;
    private final List<Town> towns;
    private final List<Fact> facts;

    private World(List<Person> people, List<Town> towns) {
        this.people = List.copyOf(people);
        this.towns = List.copyOf(towns);
        this.facts = List.copyOf(listFacts());
    }

    public List<Person> people() { return people; }
    public List<Town> towns() { return towns; }
    public Person person(int i) { return people.get(i); }
    public Town townOf(Person p) { return towns.get(p.town()); }
    public Person friendOf(Person p) { return people.get(p.friend()); }

    /** A world of {@code peopleCount} people in {@code townCount} towns on six rivers. */
    public static World create(Rng rng, int peopleCount, int townCount) {
        if (townCount > PRODUCTS.length) throw new IllegalArgumentException("at most " + PRODUCTS.length + " towns, got " + townCount);
        Set<String> used = new LinkedHashSet<>();
        List<String> rivers = new ArrayList<>();
        for (int i = 0; i < 6; i++) rivers.add(uniqueName(rng, used, 1, 2));
        String[] products = PRODUCTS.clone();
        shuffle(rng, products);
        List<Town> towns = new ArrayList<>();
        for (int i = 0; i < townCount; i++) {
            towns.add(new Town(uniqueName(rng, used, 1, 3), rivers.get(i % rivers.size()), products[i]));
        }
        List<String> firsts = new ArrayList<>(), families = new ArrayList<>();
        for (int i = 0; i < peopleCount; i++) firsts.add(uniqueName(rng, used, 2, 2));
        for (int i = 0; i < peopleCount; i++) families.add(uniqueName(rng, used, 1, 2));
        List<Person> people = new ArrayList<>();
        for (int i = 0; i < peopleCount; i++) {
            int friend = rng.nextInt(peopleCount - 1);
            if (friend >= i) friend++; // nobody is their own friend
            people.add(new Person(firsts.get(i), families.get(i), rng.nextInt(2) == 0, i % townCount,
                    TRADES[rng.nextInt(TRADES.length)], PETS[rng.nextInt(PETS.length)], COLOURS[rng.nextInt(COLOURS.length)], friend));
        }
        return new World(people, towns);
    }

    /** Every fact of the world in the corpus's question format, in a fixed order (people, then towns). */
    public List<Fact> facts() { return facts; }

    private List<Fact> listFacts() {
        List<Fact> facts = new ArrayList<>();
        for (Person p : people) {
            facts.add(new Fact("town", "Q: Where does " + p.name() + " live? A:", " in " + townOf(p).name() + "."));
            facts.add(new Fact("trade", "Q: What is the trade of " + p.name() + "? A:", " " + p.trade() + "."));
            facts.add(new Fact("pet", "Q: What pet does " + p.name() + " keep? A:", " " + p.aPet() + "."));
            facts.add(new Fact("colour", "Q: What is the favourite colour of " + p.name() + "? A:", " " + p.colour() + "."));
            facts.add(new Fact("friend", "Q: Who is the friend of " + p.name() + "? A:", " " + friendOf(p).name() + "."));
        }
        for (Town t : towns) {
            facts.add(new Fact("river", "Q: Which river flows through " + t.name() + "? A:", " the " + t.river() + "."));
            facts.add(new Fact("product", "Q: What is " + t.name() + " known for? A:", " its " + t.product() + "."));
        }
        return facts;
    }

    // ---------------------------------------------------------------- invented names

    private static final String[] ONSETS = {"b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"};
    private static final String[] CLUSTERS = {"br", "dr", "gr", "kr", "st", "th", "sh", "tr"}; // one onset in seven
    private static final String[] VOWELS = {"a", "e", "i", "o", "u"};
    private static final String[] DIPHTHONGS = {"ai", "ei", "ou"};                            // one vowel in ten
    private static final String[] CODAS = {"", "", "", "n", "r", "l", "s", "k", "m", "th", "nd", "sk"};

    /**
     * A capitalised name of minSyllables..maxSyllables syllables (onset, vowel, and a coda on the last),
     * different from every name drawn before and from every word of the world's word lists.
     */
    private static String uniqueName(Rng rng, Set<String> used, int minSyllables, int maxSyllables) {
        while (true) {
            int syllables = minSyllables + rng.nextInt(maxSyllables - minSyllables + 1);
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < syllables; s++) {
                sb.append(rng.nextInt(7) == 0 ? CLUSTERS[rng.nextInt(CLUSTERS.length)] : ONSETS[rng.nextInt(ONSETS.length)]);
                sb.append(rng.nextInt(10) == 0 ? DIPHTHONGS[rng.nextInt(DIPHTHONGS.length)] : VOWELS[rng.nextInt(VOWELS.length)]);
            }
            sb.append(CODAS[rng.nextInt(CODAS.length)]);
            String name = Character.toUpperCase(sb.charAt(0)) + sb.substring(1);
            if (name.length() >= 3 && !isWord(name.toLowerCase()) && used.add(name)) return name;
        }
    }

    private static boolean isWord(String s) {
        for (String[] list : new String[][] {TRADES, PETS, COLOURS, PRODUCTS}) for (String w : list) if (w.equals(s)) return true;
        return false;
    }

    static String article(String word) { return "aeiou".indexOf(word.charAt(0)) >= 0 ? "an" : "a"; }

    static <T> void shuffle(Rng rng, T[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T t = a[i]; a[i] = a[j]; a[j] = t;
        }
    }
}
