package io.piece4j.piece.continual.metrics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * BLEU-4 and edit similarity against the libraries TRACE's evaluation uses: NLTK's sentence_bleu and
 * python-Levenshtein's ratio, on 209 prediction/reference pairs with repeated n-grams, brevity both ways,
 * punctuation and non-ASCII text. Made by src/test/resources/metrics/make_metric_golden.py.
 */
class MetricGoldenTest {
    private record Case(String prediction, String reference, double bleu4, double editSimilarity) {}

    private static List<Case> cases() throws IOException {
        List<Case> cases = new ArrayList<>();
        try (InputStream in = MetricGoldenTest.class.getResourceAsStream("/metrics/metric_golden.json");
             JsonParser p = new JsonFactory().createParser(in)) {
            while (p.nextToken() != null) {
                if (p.currentToken() == JsonToken.FIELD_NAME && p.currentName().equals("cases")) break;
            }
            p.nextToken();   // START_ARRAY
            while (p.nextToken() == JsonToken.START_OBJECT) {
                String prediction = null, reference = null;
                double bleu = Double.NaN, edit = Double.NaN;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    switch (field) {
                        case "prediction" -> prediction = p.getText();
                        case "reference" -> reference = p.getText();
                        case "bleu4" -> bleu = p.getDoubleValue();
                        case "edit_similarity" -> edit = p.getDoubleValue();
                        default -> throw new IllegalStateException("unexpected field " + field);
                    }
                }
                cases.add(new Case(prediction, reference, bleu, edit));
            }
        }
        return cases;
    }

    @Test
    void bleu4MatchesNltkSentenceBleu() throws IOException {
        List<Case> cases = cases();
        assertEquals(209, cases.size(), "golden cases read");
        int nonZero = 0;
        for (Case c : cases) {
            double actual = TaskMetric.BLEU4.scoreOne(c.prediction(), c.reference());
            // NLTK gives about 1e-77 where a higher order has no match; piece4j gives 0
            assertEquals(c.bleu4(), actual, 1e-12, "BLEU-4 of '" + c.prediction() + "' against '" + c.reference() + "'");
            if (actual > 0) nonZero++;
        }
        assertTrue(nonZero >= 40, "only " + nonZero + " golden cases have a non-zero BLEU-4");
    }

    @Test
    void editSimilarityMatchesLevenshteinRatio() throws IOException {
        for (Case c : cases()) {
            assertEquals(c.editSimilarity(), TaskMetric.EDIT_SIMILARITY.scoreOne(c.prediction(), c.reference()), 1e-12,
                    "edit similarity of '" + c.prediction() + "' against '" + c.reference() + "'");
        }
    }
}
