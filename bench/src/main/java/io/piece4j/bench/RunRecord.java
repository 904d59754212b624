package io.piece4j.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** One benchmark result as a single JSON line, with the facts needed to reproduce it. */
final class RunRecord {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    RunRecord put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    /** Adds jdk, os, cpu count and the git commit (if the launcher ran from a checkout). */
    RunRecord withEnvironment() {
        put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        put("cpus", Runtime.getRuntime().availableProcessors());
        put("git_commit", GitCommit.current());
        return this;
    }

    String toJson() {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            g.writeStartObject();
            for (var e : fields.entrySet()) {
                Object v = e.getValue();
                g.writeFieldName(e.getKey());
                if (v == null) g.writeNull();
                else if (v instanceof Integer i) g.writeNumber(i);
                else if (v instanceof Long l) g.writeNumber(l);
                else if (v instanceof Double d) g.writeNumber(d);
                else if (v instanceof Float f) g.writeNumber(f);
                else if (v instanceof Boolean b) g.writeBoolean(b);
                else g.writeString(v.toString());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }
}
