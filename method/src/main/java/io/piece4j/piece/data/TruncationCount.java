package io.piece4j.piece.data;

import java.util.List;

/**
 * How many examples of a task the limits cut, for the run's output: a cut prompt loses context, a cut
 * answer loses part of what is to be learned, so the two are counted apart.
 */
public record TruncationCount(int examples, int promptsCut, int answersCut) {

    public static TruncationCount of(List<Example> examples) {
        int prompts = 0, answers = 0;
        for (Example e : examples) {
            if (e.promptTokensCut() > 0) prompts++;
            if (e.answerTokensCut() > 0) answers++;
        }
        return new TruncationCount(examples.size(), prompts, answers);
    }

    public boolean any() { return promptsCut > 0 || answersCut > 0; }

    /** e.g. "of 1000 examples, 12 prompts and 1 answer were truncated". */
    public String describe() {
        return "of " + examples + " examples, " + promptsCut + (promptsCut == 1 ? " prompt and " : " prompts and ")
                + answersCut + (answersCut == 1 ? " answer " : " answers ") + "were truncated";
    }
}
