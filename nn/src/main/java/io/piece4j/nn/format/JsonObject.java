package io.piece4j.nn.format;

import io.piece4j.nn.json.JsonReadException;
import io.piece4j.nn.json.JsonReader;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Typed access to one JSON object read by {@link JsonReader}, where every wrong or missing value becomes a
 * CheckpointFormatException naming the file, the key and what was expected.
 */
final class JsonObject {
    private final Map<String, Object> fields;
    private final Path file;
    private final String context;

    private JsonObject(Map<String, Object> fields, Path file, String context) {
        this.fields = fields;
        this.file = file;
        this.context = context;
    }

    /**
     * A JSON document of a checkpoint (config.json, a safetensors header, a shard index) as plain values
     * (see {@link JsonReader}); anything unreadable is a CheckpointFormatException naming the file and
     * {@code what} (the part of the file holding the JSON, "" for all of it).
     */
    static Object parse(byte[] utf8, Path file, String what) throws CheckpointFormatException {
        String where = what.isEmpty() ? "" : what + ": ";
        try {
            return JsonReader.parse(utf8);
        } catch (JsonReadException e) {
            String at = e.path().isEmpty() ? "" : " (at " + e.path() + ")";
            throw CheckpointFormatException.in(file, where + switch (e.kind()) {
                case INVALID_UTF8 -> "invalid UTF-8: expected UTF-8 encoded JSON";
                case EMPTY -> "empty: expected a JSON value";
                case TRAILING -> e.detail() + ": expected the end of the document";
                case TOO_DEEP, INTEGER_TOO_LARGE -> e.detail() + at;
                case MALFORMED -> "malformed JSON: " + e.detail() + at;
            }, e);
        }
    }

    /** {@code value} as an object; {@code context} prefixes keys in messages (e.g. "rope_scaling."). */
    @SuppressWarnings("unchecked")
    static JsonObject of(Object value, Path file, String context) throws CheckpointFormatException {
        if (!(value instanceof Map<?, ?> map)) {
            String where = context.isBlank() ? "document" : context.strip();
            if (where.endsWith(".")) where = where.substring(0, where.length() - 1);
            throw CheckpointFormatException.in(file, where + ": expected a JSON object, got " + describe(value));
        }
        return new JsonObject((Map<String, Object>) map, file, context);
    }

    Map<String, Object> fields() { return fields; }

    /** Present and not JSON null. */
    boolean has(String key) { return fields.get(key) != null; }

    String where(String key) { return context + key; }

    CheckpointFormatException error(String key, String expected) {
        return CheckpointFormatException.in(file, where(key) + " = " + describe(fields.get(key)) + ": expected " + expected);
    }

    int requiredInt(String key) throws CheckpointFormatException {
        if (!has(key)) throw CheckpointFormatException.in(file, where(key) + " is missing: expected a positive integer");
        return positiveInt(key);
    }

    int optionalInt(String key, int fallback) throws CheckpointFormatException {
        return has(key) ? positiveInt(key) : fallback;
    }

    float requiredFloat(String key) throws CheckpointFormatException {
        if (!has(key)) throw CheckpointFormatException.in(file, where(key) + " is missing: expected a number");
        return finiteFloat(key);
    }

    float optionalFloat(String key, float fallback) throws CheckpointFormatException {
        return has(key) ? finiteFloat(key) : fallback;
    }

    boolean optionalBoolean(String key, boolean fallback) throws CheckpointFormatException {
        if (!has(key)) return fallback;
        if (fields.get(key) instanceof Boolean b) return b;
        throw error(key, "true or false");
    }

    String optionalString(String key) throws CheckpointFormatException {
        if (!has(key)) return null;
        if (fields.get(key) instanceof String s) return s;
        throw error(key, "a string");
    }

    JsonObject optionalObject(String key) throws CheckpointFormatException {
        if (!has(key)) return null;
        if (!(fields.get(key) instanceof Map)) throw error(key, "a JSON object");
        return of(fields.get(key), file, where(key) + ".");
    }

    /** A non-negative integer that fits in a long. */
    long nonNegativeLong(Object value, String key) throws CheckpointFormatException {
        if (value instanceof Long l && l >= 0) return l;
        throw CheckpointFormatException.in(file, where(key) + " = " + describe(value)
                + ": expected an integer in [0, " + Long.MAX_VALUE + "]");
    }

    List<?> requiredList(String key) throws CheckpointFormatException {
        if (!has(key)) throw CheckpointFormatException.in(file, where(key) + " is missing: expected a JSON array");
        if (fields.get(key) instanceof List<?> list) return list;
        throw error(key, "a JSON array");
    }

    private int positiveInt(String key) throws CheckpointFormatException {
        Object v = fields.get(key);
        // config.json writers sometimes store integers as 4096.0
        if (v instanceof Double d && d == Math.rint(d)) v = (long) (double) d;
        if (v instanceof Long l && l > 0 && l <= Integer.MAX_VALUE) return (int) (long) l;
        throw error(key, "an integer in [1, " + Integer.MAX_VALUE + "]");
    }

    private float finiteFloat(String key) throws CheckpointFormatException {
        Object v = fields.get(key);
        double d;
        if (v instanceof Long l) d = l;
        else if (v instanceof Double x) d = x;
        else if (v instanceof BigInteger b) d = b.doubleValue();
        else throw error(key, "a number");
        if (!Double.isFinite(d) || !Float.isFinite((float) d)) throw error(key, "a finite number within float range");
        return (float) d;
    }

    static String describe(Object value) {
        if (value == null) return "null";
        if (value instanceof String s) return "\"" + (s.length() > 60 ? s.substring(0, 60) + "..." : s) + "\"";
        if (value instanceof Map) return "an object";
        if (value instanceof List<?> l) return "an array of " + l.size();
        return value.toString();
    }
}
