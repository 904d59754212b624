package io.piece4j.bench;

import io.piece4j.backend.opencl.OpenClDevices;
import io.piece4j.cli.CliExtension;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/** `piece devices`: the OpenCL platforms and devices, numbered for -Dpiece.opencl.device=N, and the one selected. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "Lists the OpenCL platforms and devices (numbered for -Dpiece.opencl.device=N) and the one the opencl backend selects.")
public final class DevicesCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.print(OpenClDevices.describe());
        return 0;
    }

    /** Registers `devices` with the CLI (here, because the CLI module depends on no backend). */
    public static final class Extension implements CliExtension {
        @Override public String name() { return "devices"; }
        @Override public Object command() { return new DevicesCommand(); }
    }
}
