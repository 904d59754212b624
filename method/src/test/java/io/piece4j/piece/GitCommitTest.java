package io.piece4j.piece;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Run records name the commit in a plain clone and in a linked worktree (whose .git is a file). */
class GitCommitTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    /** A plain checkout of branch main at COMMIT, in a new temporary folder. */
    private static Path checkoutAtCommit() throws Exception {
        Path repo = Files.createTempDirectory("clone");
        Files.createDirectories(repo.resolve(".git/refs/heads"));
        Files.writeString(repo.resolve(".git/HEAD"), "ref: refs/heads/main\n");
        Files.writeString(repo.resolve(".git/refs/heads/main"), COMMIT + "\n");
        return repo;
    }

    @Test
    void aPlainCheckoutReadsTheBranchRef() throws Exception {
        Path repo = checkoutAtCommit();
        Files.createDirectories(repo.resolve("sub/dir"));
        assertEquals(COMMIT, GitCommit.of(repo.resolve("sub/dir")));
    }

    @Test
    void aLinkedWorktreeFollowsGitdirAndCommondir() throws Exception {
        Path main = Files.createTempDirectory("main");
        Path wtGit = main.resolve(".git/worktrees/feature");
        Files.createDirectories(wtGit);
        Files.createDirectories(main.resolve(".git"));
        Files.writeString(main.resolve(".git/packed-refs"), "# pack-refs with: peeled\n" + COMMIT + " refs/heads/feature\n");
        Files.writeString(wtGit.resolve("HEAD"), "ref: refs/heads/feature\n");
        Files.writeString(wtGit.resolve("commondir"), "../..\n");
        Path worktree = Files.createTempDirectory("feature");
        Files.writeString(worktree.resolve(".git"), "gitdir: " + wtGit + "\n");
        assertEquals(COMMIT, GitCommit.of(worktree));
    }

    @Test
    void aStatedCommitWinsThenTheProjectHomeThenTheWorkingDirectory() throws Exception {
        Path repo = checkoutAtCommit();
        Path elsewhere = Path.of("/");
        String stated = "fedcba9876543210fedcba9876543210fedcba98";
        assertEquals(stated, GitCommit.resolve(stated + "\n", repo.toString(), repo));
        assertEquals(COMMIT, GitCommit.resolve(null, repo.toString(), elsewhere));
        assertEquals(COMMIT, GitCommit.resolve(" ", null, repo));
        assertEquals("unknown", GitCommit.resolve(null, null, elsewhere));
    }

    @Test
    void outsideACheckoutTheCommitIsUnknown() throws Exception {
        assertEquals("unknown", GitCommit.of(Path.of("/")));
    }
}
