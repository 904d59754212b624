package io.piece4j.distributed;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Input files the driver hands to executors (a base model, a tokenizer, ...): broadcast as bytes, written once
 * per machine under the temporary directory, or, with a shared folder, copied there once by the driver and
 * read in place.
 *
 * @param id        names the files' folder on every machine (a digest of their contents)
 * @param contents  relative name -> bytes; null when shared
 * @param sharedDir the folder holding them on a file system every executor sees; null when broadcast
 */
public record ShippedFiles(String id, Broadcast<HashMap<String, byte[]>> contents, String sharedDir) implements Serializable {

    /** Broadcasts the files (name -> path on the driver) or, with shared != null, copies them into shared/inputs-ID. */
    public static ShippedFiles of(JavaSparkContext sc, Map<String, Path> files, Path shared) throws IOException {
        HashMap<String, byte[]> bytes = new HashMap<>();
        for (var e : files.entrySet()) bytes.put(e.getKey(), Files.readAllBytes(e.getValue()));
        String id = Digests.ofFiles(bytes);
        if (shared != null) {
            Path dir = shared.toAbsolutePath().resolve("inputs-" + id);
            writeOnce(dir, bytes);
            return new ShippedFiles(id, null, dir.toString());
        }
        return new ShippedFiles(id, sc.broadcast(bytes), null);
    }

    /** The folder holding the files on this machine (written on first use). */
    public Path folder() {
        if (sharedDir != null) return Path.of(sharedDir);
        Path dir = ExecutorRuntime.scratch().resolve("inputs-" + id);
        writeOnce(dir, contents.value());
        return dir;
    }

    /**
     * Writes the files into dir unless a complete copy is there: into a temporary sibling first, renamed into
     * place, so executors of one machine racing for it see either nothing or all of it.
     */
    private static void writeOnce(Path dir, Map<String, byte[]> files) {
        if (Files.isDirectory(dir)) return;
        try {
            Files.createDirectories(dir.getParent());
            Path tmp = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".tmp");
            for (var e : files.entrySet()) {
                Path f = tmp.resolve(e.getKey());
                Files.createDirectories(f.getParent());
                Files.write(f, e.getValue());
            }
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException lostTheRace) {
                if (!Files.isDirectory(dir)) throw lostTheRace;
                deleteTree(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing shipped inputs to " + dir + ": " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
