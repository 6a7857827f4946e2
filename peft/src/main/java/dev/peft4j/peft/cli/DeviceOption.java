package dev.peft4j.peft.cli;

import dev.peft4j.kernels.Backends;
import dev.peft4j.kernels.Kernels;
import picocli.CommandLine.Option;

/**
 * The {@code --device} option, for any command that computes: include it with
 * {@code @Mixin DeviceOption device;} and open the backend with {@link #open()}.
 */
public final class DeviceOption {

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEVICE",
            description = "Backend to compute on: cpu, opencl or opencl:N (N from `peft4j devices`; default: ${DEFAULT-VALUE}).")
    String spec = "cpu";

    /** The spec as given, e.g. {@code opencl:1}. */
    public String spec() {
        return spec;
    }

    /** A new backend for the chosen device; the caller closes it. Fails with advice when it cannot open. */
    public Kernels open() {
        return Backends.create(spec);
    }
}
