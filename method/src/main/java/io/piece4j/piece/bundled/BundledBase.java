package io.piece4j.piece.bundled;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The base model pretrained on the bundled corpus, carried in the jar: a float16 GGUF file (config inside,
 * tokenizer "byte") and the run record of the {@code piece pretrain} command that made it. Model readers
 * memory-map files, so the model is extracted to a file first.
 */
public final class BundledBase {
    /** Resource names beside this class. */
    public static final String MODEL = "base.gguf", RECORD = "base.gguf.json";

    private BundledBase() {}

    /** Whether this build carries the base model. */
    public static boolean available() {
        return BundledBase.class.getResource(MODEL) != null;
    }

    /** The run record of the pretraining (JSON: command line, seed, config, losses of every step, commit, ...). */
    public static String record() {
        try (InputStream in = open(RECORD)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes the model to {@code dir/base.gguf} (temporary name, then rename) unless a file with the same
     * bytes is already there, and returns its path.
     */
    public static Path extract(Path dir) throws IOException {
        Path target = dir.resolve(MODEL);
        String want = digest();
        if (Files.isRegularFile(target)) {
            try (InputStream in = Files.newInputStream(target)) {
                if (want.equals(digest(in))) return target;
            }
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, MODEL, ".tmp");
        try (InputStream in = open(MODEL)) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    /** Extracts into a folder of the temporary directory named by the model's digest, shared by later calls. */
    public static Path extractToCache() throws IOException {
        return extract(Path.of(System.getProperty("java.io.tmpdir"), "piece4j-bundled-base-" + digest().substring(0, 16)));
    }

    /** SHA-256 of the carried model file, hex. */
    public static String digest() throws IOException {
        try (InputStream in = open(MODEL)) {
            return digest(in);
        }
    }

    private static String digest(InputStream in) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InputStream open(String name) throws IOException {
        InputStream in = BundledBase.class.getResourceAsStream(name);
        if (in == null) throw new IOException("this build of piece4j carries no bundled base model (resource " + name + " is missing)");
        return in;
    }
}
