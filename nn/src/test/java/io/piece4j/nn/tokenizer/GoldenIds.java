package io.piece4j.nn.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One line of a golden file written by make_tokenizer_golden.sh: a text and the ids an independent
 * implementation (sentencepiece, tiktoken) gave for it, without BOS or EOS.
 */
record GoldenIds(String text, int[] ids) {
    static Path resource(String name) {
        try {
            return Path.of(GoldenIds.class.getResource("/tokenizer/" + name).toURI());
        } catch (Exception e) {
            throw new IllegalStateException("test resource /tokenizer/" + name + " is missing", e);
        }
    }

    /** Reads [{"text": ..., "ids": [...]}, ...]. */
    static List<GoldenIds> read(String name) throws Exception {
        JsonValues json = new JsonValues(Path.of(name));
        List<GoldenIds> out = new ArrayList<>();
        for (Object o : json.list(json.parse(Files.readAllBytes(resource(name))), "(root)")) {
            Map<String, Object> entry = json.object(o, "entry");
            List<Object> ids = json.list(entry.get("ids"), "ids");
            int[] a = new int[ids.size()];
            for (int i = 0; i < a.length; i++) a[i] = json.index(ids.get(i), "ids", Integer.MAX_VALUE);
            out.add(new GoldenIds(json.string(entry.get("text"), "text"), a));
        }
        if (out.isEmpty()) throw new IllegalStateException(name + " holds no golden strings");
        return out;
    }
}
