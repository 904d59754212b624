package io.piece4j.cli;

import io.piece4j.tensor.Backends;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.ServiceLoader;

/** The `piece` command line: one subcommand per job, --help everywhere. */
@Command(name = "piece", mixinStandardHelpOptions = true, version = "piece4j 0.1.0",
        description = "PIECE continual learning for Llama-style models, in pure Java.",
        subcommands = {DemoCommand.class, ContinualCommand.class, EvalCommand.class, GenerateCommand.class, PretrainCommand.class, BundledCommand.class, ImportanceCommand.class, TrainCommand.class, InspectCommand.class, ConvertCommand.class, BackendsCommand.class})
public final class PieceCli implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new PieceCli());
        for (CliExtension ext : ServiceLoader.load(CliExtension.class)) cl.addSubcommand(ext.name(), ext.command());
        // -Dpiece.backend / PIECE_BACKEND naming a backend that is not here fails every command, also those
        // that compute nothing (inspect, convert), before any work: a misspelt variable is never ignored
        cl.setExecutionStrategy(parsed -> {
            if (!helpAsked(parsed)) {
                CommandLine cmd = parsed.asCommandLineList().getLast();
                try {
                    Backends.checkRequested();
                } catch (IllegalArgumentException | IllegalStateException e) {
                    throw new CommandLine.ExecutionException(cmd, e.getMessage(), e); // reported like any bad option value
                }
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // a user's mistake (bad file, bad option value) gets one clear line, not a stack trace
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException || ex instanceof java.io.IOException
                    || ex instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("piece " + cmd.getCommandName() + ": " + ex.getMessage());
                if (System.getenv("PIECE_DEBUG") != null) ex.printStackTrace(cmd.getErr());
                return 2;
            }
            throw ex;
        });
        return cl;
    }

    private static boolean helpAsked(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()) return true;
        }
        return false;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
