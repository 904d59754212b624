package io.piece4j.nn.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One GGUF metadata pair in its encoded form: the key, the value type and the value's bytes exactly as GGUF
 * stores them (little-endian; strings and arrays with u64 lengths). A key read from one file is written into
 * another with its own type and value, whatever that type is, so conversions keep keys they do not interpret
 * (tokenizer.chat_template, tokenizer.ggml.pre, general.name, ...).
 *
 * @param key   the key, such as {@code tokenizer.ggml.add_bos_token}
 * @param type  the GGUF value type (0 UINT8 ... 12 FLOAT64)
 * @param value the encoded value, without key and type
 */
public record GgufKeyValue(String key, int type, byte[] value) {
    public GgufKeyValue {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("key: expected a non-empty GGUF key");
        if (type < GgufFile.UINT8 || type > GgufFile.FLOAT64) throw new IllegalArgumentException("type " + type + ": expected 0 to 12");
        value = value.clone();
    }

    @Override public byte[] value() { return value.clone(); }

    public static GgufKeyValue string(String key, String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        return new GgufKeyValue(key, GgufFile.STRING, little(8 + utf8.length).putLong(utf8.length).put(utf8).array());
    }

    public static GgufKeyValue bool(String key, boolean value) {
        return new GgufKeyValue(key, GgufFile.BOOL, new byte[] {(byte) (value ? 1 : 0)});
    }

    public static GgufKeyValue u32(String key, int value) {
        return new GgufKeyValue(key, GgufFile.UINT32, little(4).putInt(value).array());
    }

    private static ByteBuffer little(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override public boolean equals(Object o) {
        return o instanceof GgufKeyValue kv && kv.key.equals(key) && kv.type == type && Arrays.equals(kv.value, value);
    }

    @Override public int hashCode() {
        return key.hashCode() * 31 + Arrays.hashCode(value);
    }

    @Override public String toString() {
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        String shown = switch (type) {
            case GgufFile.BOOL -> value[0] == 1 ? "true" : "false";
            case GgufFile.UINT32, GgufFile.INT32 -> Integer.toString(b.getInt());
            case GgufFile.STRING -> "\"" + new String(value, 8, value.length - 8, StandardCharsets.UTF_8) + "\"";
            default -> value.length + " bytes";
        };
        return key + " = " + shown + " (type " + type + ")";
    }
}
