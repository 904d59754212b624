package io.piece4j.piece.bundled;

import io.piece4j.piece.bundled.World.Fact;
import io.piece4j.piece.bundled.World.Person;
import io.piece4j.piece.bundled.World.Town;
import io.piece4j.tensor.Rng;

import java.util.ArrayList;
import java.util.List;

/**
 * Documents about a {@link World}, each one line of text: short biographies (facts stated in varied
 * sentences, in varied order, with pronouns), notes about towns, short stories in which people act in
 * keeping with their facts, and question/answer lines in the one fixed format of {@link World#facts()}.
 * Every statement is true of the world, so the facts can be learned from many phrasings.
 */
final class WorldText {
    private static final String[] DAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
    private static final String[] WEATHER = {"cold", "rainy", "windy", "bright", "foggy", "warm", "grey", "still"};
    /** What each trade does, in the order of {@link World#TRADES}. */
    private static final String[] WORK = {"baked bread", "wove cloth", "forged nails", "mended nets", "shaped pots",
            "ground flour", "mixed salves", "built a table", "counted the sheep", "sewed a coat", "brewed ale",
            "cut stone", "copied letters", "planted beans"};

    // Statements with the subject {S} first: {S} may be the full name, the first name or a pronoun.
    private static final String[] TOWN_S = {"{S} lives in {T}.", "{S} has a house in {T}.", "{S} makes {her} home in {T}.",
            "{S} has lived in {T} for many years.", "{S} comes from {T}, a town on the {R}."};
    private static final String[] TRADE_S = {"{S} is a {trade}.", "{S} works as a {trade}.", "{S} earns {her} bread as a {trade}.",
            "{S} has been a {trade} since {her} youth."};
    private static final String[] PET_S = {"{S} keeps {apet}.", "{S} has {apet} at home.", "{S} owns {apet}.",
            "{S} feeds {her} {pet} every morning."};
    private static final String[] COLOUR_S = {"{S} likes {colour} best.", "{S} loves the colour {colour}.",
            "{S} likes {colour} more than any other colour.", "{S} would paint the whole world {colour}."};
    private static final String[] FRIEND_S = {"{S} is a friend of {F}.", "{S} often visits {her} friend {F}.",
            "{S} trusts {her} friend {F} above all.", "{S} writes letters to {her} friend {F}."};
    // Statements that need the full name where the person appears.
    private static final String[] TOWN_N = {"In {T} lives {N}.", "The house of {N} stands in {T}."};
    private static final String[] TRADE_N = {"By trade, {N} is a {trade}.", "Everyone knows {N} the {trade}.",
            "The trade of {N} is that of a {trade}."};
    private static final String[] PET_N = {"Wherever {N} goes, {her} {pet} follows.", "The pet of {N} is {apet}."};
    private static final String[] COLOUR_N = {"The favourite colour of {N} is {colour}.", "Of all colours, {N} likes {colour} the most."};
    private static final String[] FRIEND_N = {"The friend of {N} is {F}.", "{F} is the friend whom {N} trusts most."};

    private final World world;

    WorldText(World world) { this.world = world; }

    /** The next document: a biography, a town note, a story or a question/answer line. */
    String document(Rng rng) {
        double u = rng.nextDouble();
        if (u < 0.32) return biography(rng, world.person(rng.nextInt(world.people().size())));
        if (u < 0.42) return townNote(rng, world.towns().get(rng.nextInt(world.towns().size())));
        if (u < 0.72) return story(rng);
        List<Fact> facts = world.facts();
        return facts.get(rng.nextInt(facts.size())).line();
    }

    /** Documents separated by blank lines until at least {@code bytes} characters (ASCII) are written. */
    String documents(Rng rng, int bytes) {
        return documents(rng, bytes, java.util.Set.of());
    }

    /** The same, skipping every document that is in {@code exclude}. */
    String documents(Rng rng, int bytes, java.util.Set<String> exclude) {
        StringBuilder sb = new StringBuilder(bytes + 1024);
        while (sb.length() < bytes) {
            String d = document(rng);
            if (!exclude.contains(d)) sb.append(d).append("\n\n");
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- biographies and town notes

    /** Two to five of the person's facts in random order; the first names them in full, later ones vary the subject. */
    String biography(Rng rng, Person p) {
        int[] kinds = {0, 1, 2, 3, 4};
        for (int i = kinds.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = kinds[i]; kinds[i] = kinds[j]; kinds[j] = t;
        }
        int count = 2 + rng.nextInt(4);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            if (i > 0) sb.append(' ');
            int subject = i == 0 ? 0 : rng.nextInt(4); // 0 full name, 1 first name, 2-3 pronoun
            boolean fullNameTemplate = subject == 0 && rng.nextInt(3) == 0;
            String[] templates = switch (kinds[i]) {
                case 0 -> fullNameTemplate ? TOWN_N : TOWN_S;
                case 1 -> fullNameTemplate ? TRADE_N : TRADE_S;
                case 2 -> fullNameTemplate ? PET_N : PET_S;
                case 3 -> fullNameTemplate ? COLOUR_N : COLOUR_S;
                default -> fullNameTemplate ? FRIEND_N : FRIEND_S;
            };
            String s = switch (subject) {
                case 0 -> p.name();
                case 1 -> p.first();
                default -> capitalise(p.she());
            };
            sb.append(fill(pick(rng, templates), p, s));
        }
        return sb.toString();
    }

    /** A town's river and product, and two to four of its people with their trades. */
    String townNote(Rng rng, Town t) {
        List<Person> residents = residents(t);
        StringBuilder sb = new StringBuilder();
        sb.append(pick(rng, new String[] {"{T} is a town on the {R}.", "The {R} flows through {T}.", "{T} lies on the {R}."})
                .replace("{T}", t.name()).replace("{R}", t.river()));
        sb.append(' ').append(pick(rng, new String[] {"It is known for its {P}.", "People come to {T} for its {P}.",
                "The {P} of {T} is famous."}).replace("{T}", t.name()).replace("{P}", t.product()));
        int n = Math.min(residents.size(), 2 + rng.nextInt(3));
        Person[] chosen = residents.toArray(new Person[0]);
        World.shuffle(rng, chosen);
        sb.append(" Among its people are ");
        for (int i = 0; i < n; i++) {
            if (i > 0) sb.append(i == n - 1 ? " and " : ", ");
            sb.append(chosen[i].name()).append(" the ").append(chosen[i].trade());
        }
        sb.append('.');
        for (Town other : world.towns()) {
            if (other != t && other.river().equals(t.river()) && rng.nextInt(2) == 0) {
                sb.append(" Further along the ").append(t.river()).append(" lies ").append(other.name()).append('.');
                break;
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- stories

    /**
     * A short story about a person A, A's friend F (and sometimes a neighbour B from A's town) in which
     * every stated fact is true. Slots: {A} full name, {a} first name, {she}/{She}/{her}/{Her} A's pronouns,
     * {F}/{f} the friend, {fshe}/{fher} the friend's pronouns, {B}/{b} the neighbour, {T} A's town, {R} its river,
     * {P} its product, {FT} the friend's town, {FP} its product, {trade} {pet} {colour} {work} A's, {ftrade}
     * the friend's trade, {bpet} the neighbour's pet, {day}, {weather}.
     */
    private static final String[] STORIES = {
        "One {day} morning, {A} the {trade} walked from {T} to {FT} to see {her} friend {F}. {She} took {her} {pet} along."
            + " {f} was glad to see {a} and gave {a} a gift of {FP}. They talked until the sun went down, and then {a} went home to {T}.",
        "It was {weather} in {T}. {A} sat by the {R} with {her} {pet}. A stranger asked what {she} did for a living."
            + " \"I am a {trade},\" said {a}. \"Yesterday I {work}.\" The stranger nodded and went on toward the hills.",
        "The market of {T} was busy on {day}. {A} the {trade} had {work} and came to sell it. {B}, a neighbour, stopped to talk."
            + " {b} had brought {bpet2} along, and the two of them laughed at it for a while.",
        "When the {R} rose after a {weather} week, the people of {T} worked together. {A} the {trade} carried sacks,"
            + " and {B} helped {a}. In the evening they ate bread and {P} by the fire.",
        "{A} lost {her} {pet} on a {weather} day. {She} searched all of {T}, calling its name. At last {her} friend {F}"
            + " found the {pet} near the {R} and brought it home.",
        "{A} painted {her} door {colour}, because {colour} is the colour {she} likes best. {B} said it was the brightest door in {T}.",
        "A letter from {T}: \"Dear {f}, the {R} is high and the {P} sells well. My {pet} is fat and lazy. I {work} this week."
            + " Come and see me soon. Your friend, {a}.\"",
        "\"Where are you going?\" asked {B}. \"To {FT},\" answered {A}, \"to visit my friend {F}.\" {b} wished {a} a safe road,"
            + " and {a} set off along the {R} with {her} {pet}.",
        "In {T}, {A} is known as a good {trade}. On {day} {she} {work} for {F}, who is a {ftrade} in {FT}."
            + " {f} paid with a basket of {FP}.",
        "Every {day}, {A} takes {her} {pet} for a walk along the {R}. The people of {T} know the {pet} well,"
            + " and children run after it. {a} wears {acolour} scarf, for {colour} is the colour {she} loves.",
    };

    String story(Rng rng) {
        Person a = world.person(rng.nextInt(world.people().size()));
        Person f = world.friendOf(a);
        List<Person> neighbours = new ArrayList<>(residents(world.townOf(a)));
        neighbours.remove(a);
        Person b = neighbours.isEmpty() ? f : neighbours.get(rng.nextInt(neighbours.size()));
        Town t = world.townOf(a), ft = world.townOf(f);
        String s = pick(rng, STORIES);
        String bpet2 = "{bher} {bpet}".replace("{bher}", b.her()).replace("{bpet}", b.pet());
        int trade = indexOf(World.TRADES, a.trade());
        return s.replace("{A}", a.name()).replace("{a}", a.first())
                .replace("{She}", capitalise(a.she())).replace("{she}", a.she()).replace("{Her}", capitalise(a.her())).replace("{her}", a.her())
                .replace("{F}", f.name()).replace("{f}", f.first())
                .replace("{B}", b.name()).replace("{b}", b.first()).replace("{bpet2}", bpet2)
                .replace("{FT}", ft.name()).replace("{FP}", ft.product())
                .replace("{T}", t.name()).replace("{R}", t.river()).replace("{P}", t.product())
                .replace("{trade}", a.trade()).replace("{ftrade}", f.trade()).replace("{pet}", a.pet())
                .replace("{acolour}", World.article(a.colour()) + " " + a.colour()).replace("{colour}", a.colour())
                .replace("{work}", WORK[trade])
                .replace("{day}", pick(rng, DAYS)).replace("{weather}", pick(rng, WEATHER));
    }

    // ---------------------------------------------------------------- helpers

    private List<Person> residents(Town t) {
        List<Person> r = new ArrayList<>();
        for (Person p : world.people()) if (world.townOf(p) == t) r.add(p);
        return r;
    }

    private String fill(String template, Person p, String subject) {
        Town t = world.townOf(p);
        return template.replace("{S}", subject).replace("{N}", p.name()).replace("{T}", t.name()).replace("{R}", t.river())
                .replace("{her}", p.her()).replace("{trade}", p.trade()).replace("{apet}", p.aPet()).replace("{pet}", p.pet())
                .replace("{colour}", p.colour()).replace("{F}", world.friendOf(p).name());
    }

    static String pick(Rng rng, String[] options) { return options[rng.nextInt(options.length)]; }

    static String capitalise(String s) { return Character.toUpperCase(s.charAt(0)) + s.substring(1); }

    private static int indexOf(String[] a, String s) {
        for (int i = 0; i < a.length; i++) if (a[i].equals(s)) return i;
        throw new IllegalArgumentException(s);
    }
}
