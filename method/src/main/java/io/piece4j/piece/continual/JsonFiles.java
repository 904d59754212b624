package io.piece4j.piece.continual;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Records to and from JSON files; every write goes to a temporary name and is renamed, so a crash leaves the old file. */
public final class JsonFiles {
    /** Indented, fields in declaration order; NaN written as the string "NaN". */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private JsonFiles() {}

    public static void write(Path path, Object value) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, MAPPER.writeValueAsBytes(value));
            Files.writeString(tmp, "\n", java.nio.file.StandardOpenOption.APPEND);
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static <T> T read(Path path, Class<T> type) throws IOException {
        try {
            return MAPPER.readValue(path.toFile(), type);
        } catch (JsonProcessingException e) {
            throw new IOException(path + ": " + e.getOriginalMessage() + " (line " + (e.getLocation() == null ? "?" : e.getLocation().getLineNr()) + ")", e);
        }
    }
}
