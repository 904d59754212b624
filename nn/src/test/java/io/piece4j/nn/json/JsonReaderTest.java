package io.piece4j.nn.json;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared JSON reader: the Java value of each JSON value, and each kind of unreadable document with where it failed. */
class JsonReaderTest {
    private static Object parse(String json) throws JsonReadException {
        return JsonReader.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonReadException failure(byte[] utf8, boolean bigIntegers) {
        return assertThrows(JsonReadException.class, () -> JsonReader.parse(utf8, bigIntegers));
    }

    private static JsonReadException failure(String json) {
        return failure(json.getBytes(StandardCharsets.UTF_8), true);
    }

    @Test
    void everyJsonValueBecomesItsPlainJavaValueWithObjectsInFileOrder() throws Exception {
        Object v = parse("{\"z\": 1, \"a\": [2.5, \"s\\u00e9\", true, false, null], \"m\": {\"k\": -9223372036854775808}}");
        Map<?, ?> root = assertInstanceOf(Map.class, v);
        assertEquals(List.of("z", "a", "m"), List.copyOf(root.keySet()), "keys keep the file's order");
        assertEquals(1L, root.get("z"));
        List<?> a = assertInstanceOf(List.class, root.get("a"));
        assertEquals(2.5, a.get(0));
        assertEquals("s\u00e9", a.get(1));
        assertEquals(Boolean.TRUE, a.get(2));
        assertEquals(Boolean.FALSE, a.get(3));
        assertNull(a.get(4));
        assertEquals(Long.MIN_VALUE, ((Map<?, ?>) root.get("m")).get("k"), "the smallest long is still a Long");
    }

    @Test
    void integersPastSixtyFourBitsAreBigIntegersOrAnErrorAtTheirPath() throws Exception {
        String json = "{\"model\": {\"vocab\": {\"a\": 123456789012345678901234567890}}}";
        Object v = parse(json);
        Object big = ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) v).get("model")).get("vocab")).get("a");
        assertEquals(new BigInteger("123456789012345678901234567890"), big);
        JsonReadException e = failure(json.getBytes(StandardCharsets.UTF_8), false);
        assertEquals(JsonReadException.Kind.INTEGER_TOO_LARGE, e.kind());
        assertEquals("model.vocab.a", e.path());
        assertTrue(e.detail().contains("64 bits"), e.detail());
    }

    @Test
    void invalidUtf8IsRejectedBeforeParsing() {
        byte[] bytes = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertEquals(JsonReadException.Kind.INVALID_UTF8, failure(bytes, true).kind());
    }

    @Test
    void syntaxErrorsNameTheLineAndColumn() {
        JsonReadException e = failure("{\n  \"a\": [1, 2\n");
        assertEquals(JsonReadException.Kind.MALFORMED, e.kind());
        assertTrue(e.detail().contains("line "), "the detail gives a position: " + e.detail());
    }

    @Test
    void aKeyGivenTwiceInOneObjectIsMalformed() {
        JsonReadException e = failure("{\"a\": 1, \"a\": 2}");
        assertEquals(JsonReadException.Kind.MALFORMED, e.kind());
        assertTrue(e.detail().contains("'a'") || e.detail().contains("\"a\""), e.detail());
    }

    @Test
    void emptyDocumentAndTextAfterTheValueAreTheirOwnKinds() {
        assertEquals(JsonReadException.Kind.EMPTY, failure("  \n").kind());
        JsonReadException trailing = failure("{\"a\": 1} {");
        assertEquals(JsonReadException.Kind.TRAILING, trailing.kind());
        assertTrue(trailing.detail().contains("column 10"), trailing.detail());
    }

    @Test
    void nestingDeeperThanTheLimitStopsAtItsPath() throws Exception {
        String ok = "[".repeat(JsonReader.MAX_DEPTH + 1) + "]".repeat(JsonReader.MAX_DEPTH + 1);
        assertInstanceOf(List.class, parse(ok), (JsonReader.MAX_DEPTH + 1) + " levels (depth 0.." + JsonReader.MAX_DEPTH + ") are read");
        // the object is depth 0, its arrays depths 1..MAX_DEPTH + 1
        JsonReadException e = failure("{\"x\": " + "[".repeat(JsonReader.MAX_DEPTH + 1) + "]".repeat(JsonReader.MAX_DEPTH + 1) + "}");
        assertEquals(JsonReadException.Kind.TOO_DEEP, e.kind());
        assertTrue(e.path().startsWith("x[0]"), "the path says where: " + e.path());
    }
}
