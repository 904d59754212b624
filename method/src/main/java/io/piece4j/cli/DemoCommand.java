package io.piece4j.cli;

import io.piece4j.nn.toy.LagCopyTransformer;
import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The first command a newcomer runs. Until the PIECE demo exists it shows the most useful thing that
 * works: one Llama block learning, through the from-scratch autograd, to copy the token two places back.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train one Llama block (RMSNorm, RoPE, GQA attention, SwiGLU) from scratch on a copy task.")
final class DemoCommand implements Runnable {
    @Option(names = "--backend", description = "ref, simd, ... (default: -Dpiece.backend, PIECE_BACKEND, else the best available)") String backend;
    @Option(names = "--threads", defaultValue = "0", description = "worker threads (default: all cores)") int threads;
    @Option(names = "--steps", defaultValue = "300") int steps;
    @Option(names = "--batch", defaultValue = "16") int batch;
    @Option(names = "--seed", defaultValue = "1") long seed;

    @Override
    public void run() {
        try (Backend be = Backends.create(backend, threads)) {
            System.out.println("piece4j demo: one transformer block learns to repeat the token seen "
                    + LagCopyTransformer.LAG + " positions earlier");
            System.out.println("backend: " + be.description() + ", seed " + seed + ", " + steps + " steps of batch " + batch);
            System.out.println("chance level loss = ln(" + LagCopyTransformer.VOCAB + ") = "
                    + String.format("%.3f", Math.log(LagCopyTransformer.VOCAB)));
            long t0 = System.nanoTime();
            float[] losses = LagCopyTransformer.train(be, seed, steps, batch);
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.println();
            System.out.println("| step | loss   |");
            System.out.println("|-----:|-------:|");
            int every = Math.max(1, steps / 10);
            for (int s = 0; s < steps; s += every) System.out.printf("| %4d | %.4f |%n", s + 1, losses[s]);
            System.out.printf("| %4d | %.4f |%n", steps, losses[steps - 1]);
            System.out.printf("%ntrained in %.2f s (%.1f steps/s)%n", secs, steps / secs);
        }
    }
}
