package io.piece4j.piece.bundled;

import io.piece4j.tensor.Rng;

/**
 * Arithmetic word problems (in the spirit of TRACE's NumGLUE): someone has 1-9 things, then gains or loses
 * one; how many are there now? The story's wording, the person and the things vary; the answer is the number.
 *
 * <p>The bundled 3.9M base does not learn this task under full fine-tuning, in any of the three forms tried
 * (400 training records, the suite's order, 50 test records): a change of 1-9 (117 facts) 0.10 after 8 epochs,
 * a change of 1-3 (48 facts) 0.06 after 12, and this one, a change of one, 0.16 after 12. The training loss
 * falls to 0.01-0.3 nats while the answer loss on the test records stays at 1.3: the model learns the 400 stories by
 * heart, not the rule. It is the one task of the suite that misses the benchmark's bar (SeqFT >= 0.9 right
 * after training it); more distinct records per fact is the next thing to try.
 */
final class ArithmeticTask implements BundledTasks.Task {
    private static final String[] THINGS = {"apples", "coins", "eggs", "nails", "candles", "plums", "buttons", "shells",
            "stamps", "marbles", "loaves", "ribbons"};
    private static final String[] GAIN = {"buys one more", "finds one more", "is given one more", "picks up one more",
            "gets one more from a friend"};
    private static final String[] LOSE = {"sells one", "gives one away", "loses one", "uses one", "gives one to a neighbour"};
    private static final String[] START = {"{N} has {a} {T}.", "{N} starts the day with {a} {T}.", "There are {a} {T} in the basket of {N}."};
    private static final String[] QUESTION = {"How many {T} does {N} have now?", "How many {T} are left with {N}?",
            "What is the number of {T} that {N} has at the end?"};

    private final String[] names;

    ArithmeticTask(World world) { this.names = BundledTasks.firstNames(world); }

    @Override public String name() { return "arithmetic"; }
    @Override public String domain() { return "arithmetic word problems (1-9 plus or minus one)"; }
    @Override public String metric() { return "accuracy-number"; }
    @Override public int maxNewTokens() { return 6; }

    @Override
    public BundledTasks.Item next(Rng rng) {
        boolean add = rng.nextInt(2) == 0;
        int a = add ? 1 + rng.nextInt(9) : 2 + rng.nextInt(8); // differences stay positive
        String name = WorldText.pick(rng, names), things = WorldText.pick(rng, THINGS);
        String change = WorldText.pick(rng, add ? GAIN : LOSE);
        String text = WorldText.pick(rng, START) + " Then {N} " + change + ". " + WorldText.pick(rng, QUESTION);
        String prompt = "Question: " + text.replace("{N}", name).replace("{T}", things).replace("{a}", Integer.toString(a))
                + "\nAnswer:";
        return new BundledTasks.Item(prompt, " " + (add ? a + 1 : a - 1));
    }
}
