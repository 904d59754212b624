package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;

/**
 * Stance classification (in the spirit of TRACE's C-STANCE and FOMC): a townsperson's remark about a
 * proposal; is it for it, against it, or neither? Three fixed options, the answer is a letter.
 */
final class StanceTask implements BundledTasks.Task {
    private static final String[] PROPOSALS = {"the new bridge toll", "closing the market on Sundays", "a tax on boats",
            "moving the school to the hill", "a curfew for the taverns", "planting trees on the square", "a second well",
            "paving the river road", "a night watch", "a spring festival", "the new mill", "a wall around the town"};
    // {P} the proposal, {N} a first name
    private static final String[] FAVOUR = {"{P} is a fine idea and should happen soon.", "I fully support {P}; it will help everyone.",
            "{N} says {P} is exactly what the town needs.", "We have waited years for {P}, and I am glad it is coming.",
            "Count me in: {P} gets my vote.", "{N} thinks {P} will make life better for all of us.",
            "Finally someone proposed {P}. Well done!", "Nothing would please me more than {P}."};
    private static final String[] AGAINST = {"{P} is a terrible idea.", "I will vote against {P}.",
            "Nobody needs {P}; it only wastes money.", "{N} says {P} would ruin the town.", "Stop {P} before it is too late.",
            "{N} thinks {P} is the worst plan in years.", "I cannot see a single good thing about {P}.",
            "If {P} goes ahead, I am leaving."};
    private static final String[] NEUTRAL = {"The council will discuss {P} on Monday.", "{N} asked when {P} would be decided.",
            "There is a meeting about {P} next week.", "{N} wrote down the cost of {P} for the council.",
            "Some people talk about {P}, others do not.", "The notice about {P} hangs by the well.",
            "{N} has not made up their mind about {P}.", "A letter about {P} arrived this morning."};
    private static final String[] LEADS = {"", "", "Well, ", "Honestly, ", "At the market: "};

    private final String[] names;

    StanceTask(World world) { this.names = BundledTasks.firstNames(world); }

    @Override public String name() { return "stance"; }
    @Override public String domain() { return "stance classification of townspeople's remarks (3 options)"; }
    @Override public String metric() { return "accuracy-letter"; }
    @Override public int maxNewTokens() { return 4; }

    @Override
    public BundledTasks.Item next(Rng rng) {
        String proposal = WorldText.pick(rng, PROPOSALS);
        int stance = rng.nextInt(3);
        String[] templates = stance == 0 ? FAVOUR : stance == 1 ? AGAINST : NEUTRAL;
        String template = WorldText.pick(rng, templates), lead = WorldText.pick(rng, LEADS);
        // after a lead-in the remark goes on in lower case, unless it starts with a name or "I"
        if (!lead.isEmpty() && !template.startsWith("{N}") && !template.startsWith("I ")) template = Character.toLowerCase(template.charAt(0)) + template.substring(1);
        String text = WorldText.capitalise(lead + template.replace("{P}", proposal).replace("{N}", WorldText.pick(rng, names)));
        String prompt = "What is the stance of the text toward " + proposal + "?\nText: " + text
                + "\nOptions: A) favour B) against C) neither\nAnswer:";
        return new BundledTasks.Item(prompt, " " + "ABC".charAt(stance));
    }
}
