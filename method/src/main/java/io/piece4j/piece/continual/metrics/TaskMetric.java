package io.piece4j.piece.continual.metrics;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How a task's test split is scored. Each generative metric scores one prediction against one reference
 * in [0, 1]; a task's score is the mean over its examples, every example counting once, as TRACE's
 * evaluation scripts do for all of these metrics (sentence-level BLEU and ROUGE-L averaged, not the
 * corpus forms). A prediction or reference that is empty (or only whitespace) scores 0, as in TRACE (which skips the example but
 * keeps it in the denominator).
 *
 * <ul>
 *   <li>{@code accuracy-letter}: 1 if the first option letter of the prediction equals the reference's
 *       (the first capital A-Z standing alone, not inside a word; see {@link AnswerExtraction}). TRACE
 *       compares the prediction's first character with the label (C-STANCE, FOMC) or the character after
 *       "Answer: " (ScienceQA); both give the same letter on well-formed outputs, and this form does not
 *       depend on a leading space or the exact prefix.
 *   <li>{@code accuracy-number}: 1 if the first number of each is numerically equal ("3.0" = "3"). TRACE
 *       compares the whole strings of NumGLUE; with a trained model those are the bare number.
 *   <li>{@code exact-match}: 1 if the two are equal after trimming and collapsing whitespace runs to one
 *       space; case-sensitive, as TRACE's comparison is. The runner strips the end-of-sequence token
 *       before scoring, so none is needed in the text.
 *   <li>{@code rouge-l}: ROUGE-L F1 over word tokens ({@link RougeL}, {@link TextTokens}).
 *   <li>{@code bleu-4}: sentence BLEU-4 with brevity penalty and no smoothing ({@link Bleu4}).
 *   <li>{@code bleu-rouge}: (BLEU-4 + ROUGE-L) / 2 per example, the score PIECE reports for MeetingBank
 *       and 20Minuten.
 *   <li>{@code edit-similarity}: 2 LCS / (|a| + |b|) over characters, fuzzywuzzy's ratio as TRACE uses it
 *       for Py150, without its rounding to whole percents ({@link EditSimilarity}).
 *   <li>{@code py150-similarity}: edit similarity after TRACE's Py150 literal placeholders are put back on both
 *       sides ({@link #py150Literals}); TRACE's Py150 is scored with it.
 *   <li>{@code answer-loss}: the mean cross-entropy of the reference answer tokens under the model;
 *       computed by the runner from the model, not from text, and lower is better.
 * </ul>
 */
public enum TaskMetric {
    ACCURACY_LETTER("accuracy-letter"),
    ACCURACY_NUMBER("accuracy-number"),
    EXACT_MATCH("exact-match"),
    ROUGE_L("rouge-l"),
    BLEU4("bleu-4"),
    BLEU_ROUGE("bleu-rouge"),
    EDIT_SIMILARITY("edit-similarity"),
    PY150_SIMILARITY("py150-similarity"),
    ANSWER_LOSS("answer-loss");

    private final String cliName;

    TaskMetric(String cliName) {
        this.cliName = cliName;
    }

    /** The name used in suite files and on the command line, e.g. "rouge-l". */
    public String cliName() {
        return cliName;
    }

    /** The metric of that name; an unknown name fails with the list of valid ones. */
    public static TaskMetric parse(String name) {
        for (TaskMetric m : values()) {
            if (m.cliName.equals(name)) return m;
        }
        throw new IllegalArgumentException("unknown metric '" + name + "'; expected one of " + validNames());
    }

    /** The valid names, comma separated, in declaration order. */
    public static String validNames() {
        return Arrays.stream(values()).map(TaskMetric::cliName).collect(Collectors.joining(", "));
    }

    /** False only for answer-loss. */
    public boolean higherIsBetter() {
        return this != ANSWER_LOSS;
    }

    /** Whether the metric scores generated text; false only for answer-loss, which needs the model. */
    public boolean generative() {
        return this != ANSWER_LOSS;
    }

    /** The task score in [0, 1]: the mean of {@link #scoreOne} over the examples, in order. */
    public double score(List<String> predictions, List<String> references) {
        requireGenerative();
        if (predictions.size() != references.size()) {
            throw new IllegalArgumentException(cliName + ": " + predictions.size() + " predictions for "
                    + references.size() + " references; expected one prediction per reference");
        }
        if (references.isEmpty()) throw new IllegalArgumentException(cliName + ": no examples to score");
        double sum = 0;
        for (int i = 0; i < references.size(); i++) {
            String prediction = predictions.get(i), reference = references.get(i);
            if (prediction == null || reference == null) {
                throw new IllegalArgumentException(cliName + ": example " + i + " has a null "
                        + (prediction == null ? "prediction" : "reference"));
            }
            sum += scoreOne(prediction, reference);
        }
        return sum / references.size();
    }

    /** One example's score in [0, 1]. */
    public double scoreOne(String prediction, String reference) {
        requireGenerative();
        String p = normaliseWhitespace(prediction), r = normaliseWhitespace(reference);
        if (p.isEmpty() || r.isEmpty()) return 0;
        return switch (this) {
            case ACCURACY_LETTER -> {
                String predicted = AnswerExtraction.firstOptionLetter(p), expected = AnswerExtraction.firstOptionLetter(r);
                yield expected != null && expected.equals(predicted) ? 1 : 0;
            }
            case ACCURACY_NUMBER -> {
                BigDecimal predicted = AnswerExtraction.firstNumber(p), expected = AnswerExtraction.firstNumber(r);
                yield expected != null && predicted != null && expected.compareTo(predicted) == 0 ? 1 : 0;
            }
            case EXACT_MATCH -> p.equals(r) ? 1 : 0;
            case ROUGE_L -> RougeL.score(prediction, reference);
            case BLEU4 -> Bleu4.score(prediction, reference);
            case BLEU_ROUGE -> (Bleu4.score(prediction, reference) + RougeL.score(prediction, reference)) / 2;
            case EDIT_SIMILARITY -> EditSimilarity.score(prediction, reference);
            case PY150_SIMILARITY -> EditSimilarity.score(py150Literals(prediction), py150Literals(reference));
            case ANSWER_LOSS -> throw new AssertionError("unreachable");
        };
    }

    private static final java.util.regex.Pattern PY150_LITERAL = java.util.regex.Pattern.compile("<(STR|NUM|CHAR)_LIT:(.*?)>", java.util.regex.Pattern.DOTALL);

    /**
     * Py150's code has its literals replaced by placeholders; TRACE's evaluation puts them back before
     * scoring, on both sides: {@code <NUM_LIT>} becomes 0, {@code <STR_LIT>} and {@code <CHAR_LIT>} nothing,
     * and {@code <STR_LIT:value>} (or NUM, CHAR) its value.
     */
    static String py150Literals(String code) {
        String c = code.replace("<NUM_LIT>", "0").replace("<STR_LIT>", "").replace("<CHAR_LIT>", "");
        return PY150_LITERAL.matcher(c).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(m.group(2)));
    }

    private void requireGenerative() {
        if (!generative()) {
            throw new UnsupportedOperationException(cliName + " is computed from the model's loss by the runner, not from generated text");
        }
    }

    /** Trimmed, with every run of whitespace replaced by one space. */
    static String normaliseWhitespace(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean pendingSpace = false;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                pendingSpace = out.length() > 0;
            } else {
                if (pendingSpace) out.append(' ');
                pendingSpace = false;
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }
}
