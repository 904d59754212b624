package io.piece4j.piece.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * The two fields a task record needs, read from one JSON object, and the first thing wrong with them
 * (null when nothing is). Other fields are skipped without being decoded.
 *
 * @param prompt  the "prompt" string, or null when missing or not a string
 * @param answer  the "answer" string, or null when missing or not a string
 * @param problem what is wrong, naming the field, or null
 */
record RecordFields(String prompt, String answer, String problem) {
    // Jackson's default limits stay: strings up to 20M chars, nesting up to 1000 deep. Past them a JSONL line
    // is a bad record and a JSON array an error, instead of running out of memory or stack.
    static final JsonFactory JSON = new JsonFactory();

    /**
     * Reads the object whose START_OBJECT the parser is on, up to and including its END_OBJECT. A problem
     * with a field is returned; a break in the JSON itself is thrown (the parser cannot go on past it).
     */
    static RecordFields read(JsonParser p) throws IOException {
        String prompt = null, answer = null, problem = null;
        boolean sawPrompt = false, sawAnswer = false;
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            boolean isPrompt = name.equals("prompt");
            if (isPrompt || name.equals("answer")) {
                boolean seen = isPrompt ? sawPrompt : sawAnswer;
                if (isPrompt) sawPrompt = true; else sawAnswer = true;
                String text = value == JsonToken.VALUE_STRING ? p.getText() : null;
                if (problem == null) problem = seen ? "field '" + name + "' appears twice"
                        : text == null ? "field '" + name + "' must be a string, found " + describe(value)
                        : unpairedSurrogate(name, text);
                if (isPrompt) prompt = text; else answer = text;
            }
            p.skipChildren(); // an object or array value, of any field, is passed over whole
        }
        if (t != JsonToken.END_OBJECT) throw new JsonParseException(p, "the record is not closed");
        if (problem == null && !sawPrompt) problem = "field 'prompt' is missing";
        if (problem == null && !sawAnswer) problem = "field 'answer' is missing";
        if (problem == null && answer.isEmpty()) problem = "field 'answer' is empty (nothing to learn)";
        return new RecordFields(prompt, answer, problem);
    }

    /**
     * JSON can spell a lone UTF-16 surrogate ("\ud800"), which is not a character and has no UTF-8 form:
     * a tokenizer would silently turn it into '?'. Such a record is as bad as one with invalid bytes.
     */
    private static String unpairedSurrogate(String field, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++; // a pair: one supplementary character
            } else if (Character.isSurrogate(c)) {
                return String.format("field '%s' has an unpaired surrogate \\u%04X at char %d (not a character)", field, (int) c, i);
            }
        }
        return null;
    }

    /** A JSON value's kind, for messages. */
    static String describe(JsonToken v) {
        return switch (v) {
            case VALUE_NULL -> "null";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case START_ARRAY -> "an array";
            case START_OBJECT -> "an object";
            case VALUE_STRING -> "a string";
            default -> String.valueOf(v);
        };
    }
}
