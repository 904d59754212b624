package io.piece4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The commit of the working tree, read from .git without running git; "unknown" outside a checkout. */
public final class GitCommit {
    private GitCommit() {}

    public static String current() {
        try {
            Path dir = Path.of("").toAbsolutePath();
            while (dir != null && !Files.isDirectory(dir.resolve(".git"))) dir = dir.getParent();
            if (dir == null) return "unknown";
            Path git = dir.resolve(".git");
            String head = Files.readString(git.resolve("HEAD")).trim();
            if (!head.startsWith("ref: ")) return head;
            String ref = head.substring(5);
            Path refFile = git.resolve(ref);
            if (Files.exists(refFile)) return Files.readString(refFile).trim();
            Path packed = git.resolve("packed-refs");
            if (Files.exists(packed)) {
                for (String line : Files.readAllLines(packed)) if (line.endsWith(" " + ref)) return line.substring(0, line.indexOf(' '));
            }
            return "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }
}
