package io.piece4j.cli;

import io.piece4j.tensor.Backends;
import io.piece4j.tensor.spi.Backend;
import io.piece4j.tensor.spi.BackendProvider;
import picocli.CommandLine.Command;

/** Lists the backends found on the class path and which one would be used. */
@Command(name = "backends", mixinStandardHelpOptions = true, description = "List the available compute backends.")
final class BackendsCommand implements Runnable {
    @Override
    public void run() {
        for (BackendProvider p : Backends.providers()) {
            System.out.printf("%-8s priority %2d  %s%n", p.name(), p.priority(),
                    p.isAvailable() ? "available" : "unavailable: " + p.unavailableReason());
        }
        try (Backend be = Backends.create()) {
            System.out.println("selected: " + be.description());
        }
    }
}
