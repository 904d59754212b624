package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;

/**
 * Meeting-note summarisation (in the spirit of TRACE's MeetingBank): notes of a town meeting, with small
 * talk around a decision, a task someone takes on, and the next meeting's day; the summary states those
 * three in a fixed form. Scored by ROUGE-L.
 */
final class MinutesTask implements BundledTasks.Task {
    private static final String[] VERBS = {"repair", "paint", "sell", "replace", "clean", "move", "rebuild", "inspect"};
    private static final String[] OBJECTS = {"mill roof", "old bridge", "town well", "school fence", "market stalls",
            "river dam", "bell tower", "north gate", "grain store", "town hall doors"};
    private static final String[] ACTIONS = {"buy the nails", "write to the council", "hire two workers", "collect the money",
            "order new planks", "ask the smith for help", "find a cart", "draw up a plan"};
    private static final String[] DAYS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
    private static final String[] DECISION = {"After a long talk, everyone agreed to {V} the {O}.", "The group voted to {V} the {O}.",
            "In the end they chose to {V} the {O}.", "It was decided to {V} the {O}."};
    private static final String[] OWNER = {"{W} offered to {A}.", "{W} will {A}.", "{W} said they would {A}."};
    private static final String[] NEXT = {"They meet again on {D}.", "Next meeting: {D}.", "The next meeting is on {D}."};
    private static final String[] SMALL_TALK = {"{X} complained about the weather.", "{X} arrived late.", "{X} brought bread.",
            "{X} asked about the cost.", "Tea was served.", "{X} told a long story."};

    private final String[] names;

    MinutesTask(World world) { this.names = BundledTasks.firstNames(world); }

    @Override public String name() { return "minutes"; }
    @Override public String domain() { return "summarisation of meeting notes"; }
    @Override public String metric() { return "rouge-l"; }
    @Override public int maxNewTokens() { return 104; }

    @Override
    public BundledTasks.Item next(Rng rng) {
        String verb = WorldText.pick(rng, VERBS), object = WorldText.pick(rng, OBJECTS), action = WorldText.pick(rng, ACTIONS),
                day = WorldText.pick(rng, DAYS), owner = WorldText.pick(rng, names), other = WorldText.pick(rng, names);
        String[] sentences = {
            WorldText.pick(rng, DECISION).replace("{V}", verb).replace("{O}", object),
            WorldText.pick(rng, OWNER).replace("{W}", owner).replace("{A}", action),
            WorldText.pick(rng, NEXT).replace("{D}", day),
            WorldText.pick(rng, SMALL_TALK).replace("{X}", other),
        };
        World.shuffle(rng, sentences);
        String notes = String.join(" ", sentences);
        String summary = "Decided to " + verb + " the " + object + "; " + owner + " will " + action + "; next meeting " + day + ".";
        return new BundledTasks.Item("Meeting notes: " + notes + "\nSummary:", " " + summary);
    }
}
