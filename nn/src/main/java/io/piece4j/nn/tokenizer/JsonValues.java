package io.piece4j.nn.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a JSON document with jackson-core's streaming parser into plain Java values: objects as
 * {@code Map<String, Object>} in file order, arrays as {@code List<Object>}, integers as {@code Long}
 * (a larger integer is an error), other numbers as {@code Double}, then {@code String}, {@code Boolean}
 * and null. Typed access to those values, where a wrong or missing one is a {@link TokenizerFormatException}
 * naming the file and the field.
 */
final class JsonValues {
    /** Deeper nesting than any tokenizer.json needs; stops a hostile file before the stack does. */
    private static final int MAX_DEPTH = 64;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Path file;

    JsonValues(Path file) { this.file = file; }

    /** The whole document; malformed JSON, invalid UTF-8 or trailing content is an error. */
    Object parse(byte[] utf8) throws TokenizerFormatException {
        try (JsonParser p = FACTORY.createParser(utf8)) {
            if (p.nextToken() == null) throw error("(root)", "empty file, expected a JSON object");
            Object root = read(p, 0, "(root)");
            if (p.nextToken() != null) throw error("(root)", "content after the end of the JSON value at " + location(p));
            return root;
        } catch (TokenizerFormatException e) {
            throw e;
        } catch (IOException e) { // jackson's parse errors, with line and column
            throw new TokenizerFormatException(name() + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    private Object read(JsonParser p, int depth, String where) throws IOException {
        if (depth > MAX_DEPTH) throw error(where, "nested deeper than " + MAX_DEPTH + " levels");
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    m.put(key, read(p, depth + 1, where.equals("(root)") ? key : where + "." + key));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) l.add(read(p, depth + 1, where + "[" + l.size() + "]"));
                return l;
            }
            case VALUE_STRING -> { return p.getText(); }
            case VALUE_NUMBER_INT -> {
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) throw error(where, p.getText() + " does not fit in 64 bits");
                return p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> { return p.getDoubleValue(); }
            case VALUE_TRUE -> { return Boolean.TRUE; }
            case VALUE_FALSE -> { return Boolean.FALSE; }
            case VALUE_NULL -> { return null; }
            default -> throw error(where, "unexpected " + t + " at " + location(p));
        }
    }

    private static String location(JsonParser p) {
        return "line " + p.currentLocation().getLineNr() + ", column " + p.currentLocation().getColumnNr();
    }

    String name() { return file == null ? "tokenizer.json" : file.getFileName().toString(); }

    TokenizerFormatException error(String field, String message) {
        return new TokenizerFormatException(name() + ": field '" + field + "': " + message);
    }

    // ---------------------------------------------------------------- typed access

    @SuppressWarnings("unchecked")
    Map<String, Object> object(Object value, String field) throws TokenizerFormatException {
        if (value instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw error(field, (value == null ? "missing" : "is " + kind(value)) + ", expected an object");
    }

    @SuppressWarnings("unchecked")
    List<Object> list(Object value, String field) throws TokenizerFormatException {
        if (value instanceof List<?> l) return (List<Object>) l;
        throw error(field, (value == null ? "missing" : "is " + kind(value)) + ", expected an array");
    }

    String string(Object value, String field) throws TokenizerFormatException {
        if (value instanceof String s) return s;
        throw error(field, (value == null ? "missing" : "is " + kind(value)) + ", expected a string");
    }

    /** An integer in [0, limit). */
    int index(Object value, String field, long limit) throws TokenizerFormatException {
        if (!(value instanceof Long v)) throw error(field, (value == null ? "missing" : "is " + kind(value)) + ", expected an integer");
        if (v < 0 || v >= limit) throw error(field, v + " is out of range, expected 0.." + (limit - 1));
        return (int) (long) v;
    }

    /** A boolean, or the default when the field is absent or null. */
    boolean flag(Object value, String field, boolean absent) throws TokenizerFormatException {
        if (value == null) return absent;
        if (value instanceof Boolean b) return b;
        throw error(field, "is " + kind(value) + ", expected true or false");
    }

    private static String kind(Object v) {
        return switch (v) {
            case Map<?, ?> _ -> "an object";
            case List<?> _ -> "an array";
            case String _ -> "a string";
            case Boolean _ -> "a boolean";
            default -> "a number";
        };
    }

    /** Every object in the tree under node (node included) whose "type" is the given one, in document order. */
    static List<Map<?, ?>> ofType(Object node, String type) {
        List<Map<?, ?>> out = new ArrayList<>();
        collect(node, type, out);
        return out;
    }

    private static void collect(Object node, String type, List<Map<?, ?>> out) {
        if (node instanceof Map<?, ?> m) {
            if (type.equals(m.get("type"))) out.add(m);
            for (Object v : m.values()) collect(v, type, out);
        } else if (node instanceof List<?> l) {
            for (Object v : l) collect(v, type, out);
        }
    }
}
