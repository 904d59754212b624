package io.piece4j.nn.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON document read with jackson-core's streaming parser into plain Java values: objects become
 * {@code Map<String, Object>} (in file order), arrays {@code List<Object>}, integers {@code Long} (or
 * {@code BigInteger} past 64 bits), other numbers {@code Double}, then {@code String}, {@code Boolean} and null.
 * The small files it is used for (config.json, a safetensors header, a shard index) make a tree the clearest shape.
 */
final class JsonTree {
    private static final int MAX_DEPTH = 64;
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private JsonTree() {}

    /** Parses strict UTF-8 JSON; anything malformed is a CheckpointFormatException naming {@code what} (the part of the file holding the JSON, "" for all of it). */
    static Object parse(byte[] utf8, Path file, String what) throws CheckpointFormatException {
        String where = what.isEmpty() ? "" : what + ": ";
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(utf8)).toString();
        } catch (CharacterCodingException e) {
            throw CheckpointFormatException.in(file, where + "invalid UTF-8: expected UTF-8 encoded JSON", e);
        }
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() == null) throw CheckpointFormatException.in(file, where + "empty: expected a JSON value");
            Object value = read(p, 0, file, where);
            if (p.nextToken() != null) {
                throw CheckpointFormatException.in(file, where + "text after the JSON value at offset "
                        + p.currentTokenLocation().getCharOffset() + ": expected the end of the document");
            }
            return value;
        } catch (CheckpointFormatException e) {
            throw e;
        } catch (IOException e) {
            String detail = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw CheckpointFormatException.in(file, where + "malformed JSON: " + detail, e);
        }
    }

    private static Object read(JsonParser p, int depth, Path file, String where) throws IOException {
        if (depth > MAX_DEPTH) throw CheckpointFormatException.in(file, where + "nested deeper than " + MAX_DEPTH + " levels");
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    map.put(key, read(p, depth + 1, file, where));
                }
                return map;
            }
            case START_ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) list.add(read(p, depth + 1, file, where));
                return list;
            }
            case VALUE_STRING -> { return p.getText(); }
            case VALUE_NUMBER_INT -> {
                BigInteger big = p.getBigIntegerValue();
                return big.bitLength() < 64 ? (Object) big.longValue() : big;
            }
            case VALUE_NUMBER_FLOAT -> { return p.getDoubleValue(); }
            case VALUE_TRUE -> { return Boolean.TRUE; }
            case VALUE_FALSE -> { return Boolean.FALSE; }
            case VALUE_NULL -> { return null; }
            default -> throw CheckpointFormatException.in(file, where + "unexpected JSON token " + t);
        }
    }
}
