package io.piece4j.distributed;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * The jars executors need besides Spark's own: piece4j's modules (a module's classes folder, as in a test run
 * from the build tree, is packed into a jar first) and the libraries Spark does not bring (EJML for the ejml
 * backend). They go to spark.jars, so a cluster's workers need nothing installed but Spark.
 */
final class ApplicationJars {
    private ApplicationJars() {}

    static List<String> fromClassPath(String classPath) {
        List<String> jars = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (entry.isBlank()) continue;
            Path p = Path.of(entry);
            String name = p.getFileName() == null ? "" : p.getFileName().toString();
            if (Files.isRegularFile(p) && (name.startsWith("piece4j-") || name.startsWith("ejml-")) && name.endsWith(".jar")) {
                jars.add(p.toAbsolutePath().toString());
            } else if (Files.isDirectory(p) && isPieceClasses(p)) {
                jars.add(pack(p).toString());
            }
        }
        return jars;
    }

    /** A classes folder of this project: it holds io/piece4j and is not a test-classes folder. */
    private static boolean isPieceClasses(Path dir) {
        return Files.isDirectory(dir.resolve("io/piece4j")) && !dir.getFileName().toString().equals("test-classes");
    }

    /** The folder's files as a jar under the temporary directory, named after its module. */
    private static Path pack(Path dir) {
        try {
            Path module = dir.toAbsolutePath().getParent() == null ? dir : dir.toAbsolutePath().getParent().getParent();
            String name = "piece4j-" + (module == null ? "classes" : module.getFileName()) + "-classes";
            Path jar = Files.createTempFile(name, ".jar");
            jar.toFile().deleteOnExit();
            try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out);
                 Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    j.putNextEntry(new JarEntry(dir.relativize(f).toString().replace(File.separatorChar, '/')));
                    Files.copy(f, j);
                    j.closeEntry();
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException("packing " + dir + " for the executors: " + e.getMessage(), e);
        }
    }
}
