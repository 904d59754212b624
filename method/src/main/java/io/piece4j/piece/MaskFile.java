package io.piece4j.piece;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A mask on disk: the line "PIECE-MASK 1", one line of JSON (model hash, task, estimator, ratio, k, P,
 * CRC-32 of the indices, ...), then k little-endian int32 flat indices. Written to a temporary file and
 * renamed, so a crash never leaves a half-written mask under the real name.
 */
public final class MaskFile {
    private static final String MAGIC = "PIECE-MASK 1\n";

    private MaskFile() {}

    public static void write(Mask mask, Path path) throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(header)) {
            g.writeStartObject();
            g.writeStringField("model_hash", mask.modelHash());
            g.writeStringField("task", mask.task());
            g.writeStringField("estimator", mask.estimator());
            g.writeNumberField("ratio", mask.ratio());
            g.writeNumberField("k", mask.size());
            g.writeNumberField("parameter_count", mask.parameterCount());
            g.writeNumberField("eligible_count", mask.eligibleCount());
            g.writeNumberField("batches", mask.batches());
            g.writeNumberField("batch_size", mask.batchSize());
            g.writeStringField("index_type", "int32le");
            g.writeNumberField("crc32", crc(mask.indices()));
            g.writeEndObject();
        }
        ByteBuffer body = ByteBuffer.allocate(mask.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : mask.indices()) body.putInt(i);
        body.flip();
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(MAGIC.getBytes(StandardCharsets.US_ASCII)));
            ch.write(ByteBuffer.wrap(header.toByteArray()));
            ch.write(ByteBuffer.wrap(new byte[] {'\n'}));
            while (body.hasRemaining()) ch.write(body);
            ch.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public static Mask read(Path path) throws IOException {
        byte[] all = Files.readAllBytes(path);
        byte[] magic = MAGIC.getBytes(StandardCharsets.US_ASCII);
        int eol = HeaderedFile.headerEnd(all, MAGIC, "mask file", path);
        Map<String, Object> h = new HashMap<>();
        try (JsonParser p = new JsonFactory().createParser(all, magic.length, eol - magic.length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException(path + ": header is not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                h.put(name, t == JsonToken.VALUE_STRING ? p.getText() : t.isNumeric() ? p.getNumberValue() : p.getText());
            }
        }
        long k = number(h, "k", path);
        int bodyStart = eol + 1;
        if (k < 0 || k * 4 != all.length - bodyStart) {
            throw new IOException(path + ": field 'k' = " + k + " needs " + (k * 4) + " bytes of indices, file has " + (all.length - bodyStart));
        }
        ByteBuffer body = ByteBuffer.wrap(all, bodyStart, (int) k * 4).order(ByteOrder.LITTLE_ENDIAN);
        int[] idx = new int[(int) k];
        for (int i = 0; i < idx.length; i++) idx[i] = body.getInt();
        long crc = number(h, "crc32", path);
        if (crc != crc(idx)) throw new IOException(path + ": field 'crc32' = " + crc + " but the indices give " + crc(idx) + " (file corrupted)");
        try {
            return new Mask(idx, number(h, "parameter_count", path), number(h, "eligible_count", path),
                    ((Number) require(h, "ratio", path)).doubleValue(), string(h, "estimator", path), string(h, "task", path),
                    string(h, "model_hash", path), (int) number(h, "batches", path), (int) number(h, "batch_size", path));
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage(), e);
        }
    }

    private static Object require(Map<String, Object> h, String key, Path path) throws IOException {
        Object v = h.get(key);
        if (v == null) throw new IOException(path + ": header field '" + key + "' is missing");
        return v;
    }

    private static long number(Map<String, Object> h, String key, Path path) throws IOException {
        if (require(h, key, path) instanceof Number n) return n.longValue();
        throw new IOException(path + ": header field '" + key + "' must be a number");
    }

    private static String string(Map<String, Object> h, String key, Path path) throws IOException {
        if (require(h, key, path) instanceof String s) return s;
        throw new IOException(path + ": header field '" + key + "' must be a string");
    }

    static long crc(int[] idx) {
        CRC32 c = new CRC32();
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : idx) { b.clear(); b.putInt(i); c.update(b.array()); }
        return c.getValue();
    }
}
