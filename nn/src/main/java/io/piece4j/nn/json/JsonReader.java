package io.piece4j.nn.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one JSON reader of piece4j (config.json, safetensors headers and shard indexes, tokenizer.json,
 * benchmark output): jackson-core's streaming parser builds a tree of plain Java values. Objects become
 * {@code Map<String, Object>} in file order, arrays {@code List<Object>}, integers {@code Long} (or
 * {@code BigInteger} past 64 bits, unless the caller asks for an error instead), other numbers {@code Double}, then
 * {@code String}, {@code Boolean} and null.
 *
 * <p>Strict: the bytes must be valid UTF-8, a key may appear once per object, nothing may follow the
 * value, and nesting stops at {@link #MAX_DEPTH} levels (before a hostile file exhausts the stack).
 * Every failure is a {@link JsonReadException} saying what went wrong and where; the caller adds the
 * file name in its own error type.
 */
public final class JsonReader {
    /** Deeper than any file piece4j reads needs. */
    public static final int MAX_DEPTH = 64;
    private static final JsonFactory FACTORY = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private JsonReader() {}

    /** The JSON value of the whole document; integers past 64 bits are read as BigInteger. */
    public static Object parse(byte[] utf8) throws JsonReadException {
        return parse(utf8, true);
    }

    /** The JSON value of the whole document; with bigIntegers false an integer past 64 bits is an error. */
    public static Object parse(byte[] utf8, boolean bigIntegers) throws JsonReadException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw new JsonReadException(JsonReadException.Kind.INVALID_UTF8, "", "invalid UTF-8", e);
        }
        return parse(text, bigIntegers);
    }

    /** The JSON value of a document given as text; integers past 64 bits are read as BigInteger. */
    public static Object parse(String text) throws JsonReadException {
        return parse(text, true);
    }

    private static Object parse(String text, boolean bigIntegers) throws JsonReadException {
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() == null) throw new JsonReadException(JsonReadException.Kind.EMPTY, "", "no JSON value", null);
            Object value = read(p, 0, "", bigIntegers);
            if (p.nextToken() != null) {
                throw new JsonReadException(JsonReadException.Kind.TRAILING, "", "text after the JSON value at " + tokenLocation(p), null);
            }
            return value;
        } catch (JsonReadException e) {
            throw e;
        } catch (IOException e) { // jackson's syntax errors carry the line and column
            String detail = e instanceof JsonProcessingException j ? withoutSourceText(j.getOriginalMessage()) + " at " + location(j) : e.getMessage();
            throw new JsonReadException(JsonReadException.Kind.MALFORMED, "", detail, e);
        }
    }

    /** path names the value being read, as "model.vocab.a" or "merges[3]" ("" for the root). */
    private static Object read(JsonParser p, int depth, String path, boolean bigIntegers) throws IOException, JsonReadException {
        if (depth > MAX_DEPTH) throw new JsonReadException(JsonReadException.Kind.TOO_DEEP, path, "nested deeper than " + MAX_DEPTH + " levels", null);
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    map.put(key, read(p, depth + 1, path.isEmpty() ? key : path + "." + key, bigIntegers));
                }
                return map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) list.add(read(p, depth + 1, path + "[" + list.size() + "]", bigIntegers));
                return list;
            }
            case VALUE_STRING -> { return p.getText(); }
            case VALUE_NUMBER_INT -> {
                BigInteger big = p.getBigIntegerValue();
                if (big.bitLength() < 64) return big.longValue();
                if (bigIntegers) return big;
                throw new JsonReadException(JsonReadException.Kind.INTEGER_TOO_LARGE, path, big + " does not fit in 64 bits", null);
            }
            case VALUE_NUMBER_FLOAT -> { return p.getDoubleValue(); }
            case VALUE_TRUE -> { return Boolean.TRUE; }
            case VALUE_FALSE -> { return Boolean.FALSE; }
            case VALUE_NULL -> { return null; }
            default -> throw new JsonReadException(JsonReadException.Kind.MALFORMED, path, "unexpected " + t + " at " + location(p), null);
        }
    }

    private static String location(JsonParser p) {
        return "line " + p.currentLocation().getLineNr() + ", column " + p.currentLocation().getColumnNr();
    }

    private static String tokenLocation(JsonParser p) {
        return "line " + p.currentTokenLocation().getLineNr() + ", column " + p.currentTokenLocation().getColumnNr();
    }

    /**
     * Jackson's message without its internal location text: "(start marker at [Source: REDACTED (...); line: 2,
     * column: 2])" becomes "(opened at line 2, column 2)".
     */
    static String withoutSourceText(String message) {
        return message.replaceAll("\\(start marker at \\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]\\)", "(opened at line $1, column $2)")
                .replaceAll("\\s*\\[Source: [^\\]]*?; line: (\\d+), column: (\\d+)\\]", " at line $1, column $2");
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "an unknown position" : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    }
}
