package io.piece4j.nn.tokenizer;

import io.piece4j.nn.json.JsonReadException;
import io.piece4j.nn.json.JsonReader;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A tokenizer.json read by the shared {@link JsonReader} (objects as {@code Map<String, Object>} in file
 * order, arrays as {@code List<Object>}, integers as {@code Long}, other numbers as {@code Double}, then
 * {@code String}, {@code Boolean} and null), with typed access to those values, where a wrong or missing
 * one is a {@link TokenizerFormatException} naming the file and the field.
 */
final class JsonValues {
    private final Path file;

    JsonValues(Path file) { this.file = file; }

    /** The whole document; malformed JSON, invalid UTF-8 or trailing content is an error. */
    Object parse(byte[] utf8) throws TokenizerFormatException {
        try {
            return JsonReader.parse(utf8, false); // ids and ranks are ints: a 65-bit number is an error where it stands
        } catch (JsonReadException e) {
            String field = e.path().isEmpty() ? "(root)" : e.path();
            throw switch (e.kind()) {
                case EMPTY -> error(field, "empty file, expected a JSON object");
                case TRAILING -> error(field, "content after the end of the JSON value: " + e.detail());
                case TOO_DEEP, INTEGER_TOO_LARGE -> error(field, e.detail());
                case INVALID_UTF8, MALFORMED -> new TokenizerFormatException(name() + ": not valid JSON: " + e.detail(), e);
            };
        }
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
