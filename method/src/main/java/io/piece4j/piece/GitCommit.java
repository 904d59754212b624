package io.piece4j.piece;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The commit of the code that runs, for run records: the system property piece.commit when set (a carried build,
 * such as bench/gpu-check.sh's, states the commit it was built from), else the checkout at piece.home (the
 * launcher sets it to the project root, so a run started from another folder still names the right commit),
 * else the checkout holding the working directory. Read from .git without running git; "unknown" outside a checkout.
 * Works in a linked worktree too, where .git is a file "gitdir: PATH" and the refs live in the main
 * repository's folder named by PATH/commondir.
 */
public final class GitCommit {
    private GitCommit() {}

    public static String current() {
        return resolve(System.getProperty("piece.commit"), System.getProperty("piece.home"), Path.of("").toAbsolutePath());
    }

    /** The stated commit if any, else the checkout holding home if given, else the one holding workingDir. */
    static String resolve(String statedCommit, String home, Path workingDir) {
        if (statedCommit != null && !statedCommit.isBlank()) return statedCommit.trim();
        return of(home != null && !home.isBlank() ? Path.of(home).toAbsolutePath() : workingDir);
    }

    /** The commit checked out in the working tree holding start (or one of its parents). */
    static String of(Path start) {
        try {
            Path dir = start;
            while (dir != null && !Files.exists(dir.resolve(".git"))) dir = dir.getParent();
            if (dir == null) return "unknown";
            Path git = dir.resolve(".git");
            Path common = git;
            if (Files.isRegularFile(git)) {
                String line = Files.readString(git).trim();
                if (!line.startsWith("gitdir: ")) return "unknown";
                git = dir.resolve(line.substring(8).trim());
                Path commondir = git.resolve("commondir");
                common = Files.exists(commondir) ? git.resolve(Files.readString(commondir).trim()).normalize() : git;
            }
            String head = Files.readString(git.resolve("HEAD")).trim();
            if (!head.startsWith("ref: ")) return head;
            String ref = head.substring(5);
            for (Path base : new Path[] {git, common}) {
                Path refFile = base.resolve(ref);
                if (Files.exists(refFile)) return Files.readString(refFile).trim();
            }
            Path packed = common.resolve("packed-refs");
            if (Files.exists(packed)) {
                for (String line : Files.readAllLines(packed)) if (line.endsWith(" " + ref)) return line.substring(0, line.indexOf(' '));
            }
            return "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }
}
