package io.piece4j.tests;

import io.piece4j.piece.continual.ContinualRun;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;

import java.nio.file.Path;
import java.util.List;

/**
 * A continual run in its own process, so a test can kill it with SIGKILL: args = fixture folder, output
 * folder, resume (true/false). Prints "progress RUN TASK PHASE DONE" lines (RUN with _ for spaces), flushed, as the run goes.
 */
public final class ContinualRunMain {
    static final List<String> METHODS = List.of("piece-s", "seqft");

    public static void main(String[] args) throws Exception {
        ContinualFixture f = ContinualFixture.at(Path.of(args[0]));
        try (Backend be = Backends.create("simd", 1)) {
            new ContinualRun(f.spec(METHODS, Path.of(args[1]), Boolean.parseBoolean(args[2]), false), be)
                    .onProgress(p -> {
                        System.out.println("progress " + p.run().replace(' ', '_') + " " + p.task() + " " + p.phase() + " " + p.done());
                        System.out.flush();
                    })
                    .run();
        }
        System.out.println("finished");
    }
}
