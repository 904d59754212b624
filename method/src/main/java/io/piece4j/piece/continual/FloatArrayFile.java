package io.piece4j.piece.continual;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.piece4j.piece.HeaderedFile;

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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * A method's state between tasks (EWC's Fisher and anchor weights, say) as named float arrays:
 * "PIECE-STATE 1", one line of JSON naming each array with its length and CRC-32, then the arrays as
 * little-endian float32 in that order. Written to a temporary file and renamed, so a crash leaves the
 * previous file; read back with every field checked.
 */
public final class FloatArrayFile {
    private static final String MAGIC = "PIECE-STATE 1\n";
    private static final int CHUNK = 1 << 16;

    private FloatArrayFile() {}

    /** Writes the arrays, in the map's order. */
    public static void write(Path path, Map<String, float[]> arrays) throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(header)) {
            g.writeStartObject();
            g.writeArrayFieldStart("arrays");
            for (var e : arrays.entrySet()) {
                g.writeStartObject();
                g.writeStringField("name", e.getKey());
                g.writeNumberField("length", e.getValue().length);
                g.writeNumberField("crc32", crc(e.getValue()));
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.wrap(MAGIC.getBytes(StandardCharsets.US_ASCII)));
            writeFully(ch, ByteBuffer.wrap(header.toByteArray()));
            writeFully(ch, ByteBuffer.wrap(new byte[] {'\n'}));
            ByteBuffer buf = ByteBuffer.allocate(CHUNK * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] a : arrays.values()) {
                for (int s = 0; s < a.length; s += CHUNK) {
                    int len = Math.min(CHUNK, a.length - s);
                    buf.clear();
                    buf.asFloatBuffer().put(a, s, len);
                    buf.limit(len * Float.BYTES);
                    writeFully(ch, buf);
                }
            }
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads every array, in file order. */
    public static Map<String, float[]> read(Path path) throws IOException {
        byte[] all = Files.readAllBytes(path);
        int magic = MAGIC.length();
        int eol = HeaderedFile.headerEnd(all, MAGIC, "method state file", path);
        Map<String, long[]> declared = new LinkedHashMap<>(); // name -> {length, crc32}
        try (JsonParser jp = new JsonFactory().createParser(all, magic, eol - magic)) {
            if (jp.nextToken() != JsonToken.START_OBJECT || jp.nextToken() != JsonToken.FIELD_NAME || !"arrays".equals(jp.currentName())
                    || jp.nextToken() != JsonToken.START_ARRAY) {
                throw new IOException(path + ": header must be {\"arrays\": [...]}");
            }
            while (jp.nextToken() == JsonToken.START_OBJECT) {
                String name = null;
                long length = -1, crc = -1;
                while (jp.nextToken() == JsonToken.FIELD_NAME) {
                    String f = jp.currentName();
                    jp.nextToken();
                    switch (f) {
                        case "name" -> name = jp.getText();
                        case "length" -> length = jp.getLongValue();
                        case "crc32" -> crc = jp.getLongValue();
                        default -> jp.skipChildren();
                    }
                }
                if (name == null || length < 0 || length > Integer.MAX_VALUE || crc < 0) {
                    throw new IOException(path + ": every entry of field 'arrays' needs a name, a length in [0, 2^31) and a crc32");
                }
                declared.put(name, new long[] {length, crc});
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(path + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        long bytes = 0;
        for (long[] d : declared.values()) bytes += d[0] * Float.BYTES;
        if (all.length - (eol + 1L) != bytes) {
            throw new IOException(path + ": field 'arrays' declares " + bytes + " bytes of data, the file has " + (all.length - eol - 1L)
                    + " (truncated?)");
        }
        ByteBuffer b = ByteBuffer.wrap(all, eol + 1, (int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var e : declared.entrySet()) {
            float[] a = new float[(int) e.getValue()[0]];
            b.asFloatBuffer().get(a);
            b.position(b.position() + a.length * Float.BYTES);
            long got = crc(a);
            if (got != e.getValue()[1]) {
                throw new IOException(path + ": array '" + e.getKey() + "': field 'crc32' = " + e.getValue()[1] + " but the data give " + got
                        + " (corrupted)");
            }
            out.put(e.getKey(), a);
        }
        return out;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static long crc(float[] a) {
        CRC32 c = new CRC32();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int s = 0; s < a.length; s += CHUNK) {
            int len = Math.min(CHUNK, a.length - s);
            buf.clear();
            buf.asFloatBuffer().put(a, s, len);
            c.update(buf.array(), 0, len * Float.BYTES);
        }
        return c.getValue();
    }
}
