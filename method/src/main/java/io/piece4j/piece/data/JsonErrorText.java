package io.piece4j.piece.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jackson's parse errors as text for a person: the column and the field being read, and Jackson's own
 * message without the parser's internal location text ("[Source: REDACTED (`StreamReadFeature...` disabled);
 * line: 1, column: 34]"), whose line and column are kept in words.
 */
final class JsonErrorText {
    private static final Pattern MARKER = Pattern.compile("\\(start marker at \\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]\\)");
    private static final Pattern SOURCE = Pattern.compile("\\s*(at )?\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]");

    private JsonErrorText() {}

    /**
     * " at column C, field 'name': message" (the parts known), naming lines too when the text has more than one
     * (a JSON array file); ": message" when neither is known.
     *
     * @param p the parser that failed, or null when unknown
     */
    static String of(JsonProcessingException e, JsonParser p, boolean multiLine) {
        JsonLocation at = e.getLocation() != null || p == null ? e.getLocation() : p.currentLocation();
        String message = e.getOriginalMessage();
        Matcher m = MARKER.matcher(message);
        message = m.replaceAll(r -> Matcher.quoteReplacement("(opened at " + (multiLine ? "line " + r.group(1) + ", " : "") + "column " + r.group(2) + ")"));
        message = SOURCE.matcher(message).replaceAll(r -> Matcher.quoteReplacement(" at " + (multiLine ? "line " + r.group(2) + ", " : "")
                + "column " + r.group(3)));
        String field = field(p);
        String where = at == null || at.getColumnNr() < 1 ? "" : "column " + at.getColumnNr();
        if (field != null) where += (where.isEmpty() ? "" : ", ") + "field '" + field + "'";
        return (where.isEmpty() ? "" : " at " + where) + ": " + message;
    }

    /** The name of the object field the parser is in, or null. */
    private static String field(JsonParser p) {
        JsonStreamContext c = p == null ? null : p.getParsingContext();
        while (c != null && !c.inObject()) c = c.getParent();
        return c == null ? null : c.getCurrentName();
    }
}
