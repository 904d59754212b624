package io.piece4j.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.piece4j.piece.GitCommit;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** A result as one JSON object (a benchmark line, a run record), with the facts needed to reproduce it. */
public final class RunRecord {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    public RunRecord put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    /** Adds jdk, os, cpu count and the git commit (if the launcher ran from a checkout). */
    public RunRecord withEnvironment() {
        put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        put("cpus", Runtime.getRuntime().availableProcessors());
        put("git_commit", GitCommit.current());
        return this;
    }

    public String toJson() {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            writeValue(g, fields);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** Numbers, strings, booleans, null, lists, arrays of doubles, maps and nested records. */
    private static void writeValue(JsonGenerator g, Object v) throws IOException {
        if (v == null) g.writeNull();
        else if (v instanceof Integer i) g.writeNumber(i);
        else if (v instanceof Long l) g.writeNumber(l);
        else if (v instanceof Double d) { if (Double.isFinite(d)) g.writeNumber(d); else g.writeString(d.toString()); }
        else if (v instanceof Float f) { if (Float.isFinite(f)) g.writeNumber(f); else g.writeString(f.toString()); }
        else if (v instanceof Boolean b) g.writeBoolean(b);
        else if (v instanceof RunRecord r) writeValue(g, r.fields);
        else if (v instanceof double[] a) { g.writeStartArray(); for (double d : a) writeValue(g, d); g.writeEndArray(); }
        else if (v instanceof Iterable<?> it) { g.writeStartArray(); for (Object o : it) writeValue(g, o); g.writeEndArray(); }
        else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (var e : m.entrySet()) { g.writeFieldName(String.valueOf(e.getKey())); writeValue(g, e.getValue()); }
            g.writeEndObject();
        } else g.writeString(v.toString());
    }

    /** Writes the record to a file atomically (temporary name, then rename). */
    public void write(java.nio.file.Path path) throws IOException {
        java.nio.file.Path dir = path.toAbsolutePath().getParent();
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Path tmp = java.nio.file.Files.createTempFile(dir, path.getFileName().toString(), ".tmp");
        java.nio.file.Files.writeString(tmp, toJson() + "\n");
        java.nio.file.Files.move(tmp, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
