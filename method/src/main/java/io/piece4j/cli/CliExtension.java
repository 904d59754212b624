package io.piece4j.cli;

/**
 * A subcommand contributed by a module the CLI does not depend on (the benchmarks, say), found with
 * ServiceLoader so dependencies keep pointing one way.
 */
public interface CliExtension {
    /** The subcommand's name, e.g. "bench". */
    String name();

    /** A picocli command object (annotated with @Command). */
    Object command();
}
