package dev.peft4j.peft.cli;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code peft4j devices}: the backends this machine offers, spelled as {@code --device} takes them. A
 * missing OpenCL runtime is reported, not fatal: the CPU backend is always there.
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "List the compute backends: the CPU and every OpenCL device (use the first column with --device).")
public final class DevicesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        print(out);
        out.flush();
        return 0;
    }

    /** Writes the listing to {@code out}. */
    static void print(PrintWriter out) {
        try (Kernels cpu = new CpuKernels()) {
            out.printf("cpu       %s, %s max heap%n", cpu.name(), human(Runtime.getRuntime().maxMemory()));
        }
        List<String> lines;
        try {
            lines = OpenClListing.lines();
        } catch (RuntimeException | LinkageError e) {
            out.println("opencl    not available: " + e.getMessage());
            return;
        }
        if (lines.isEmpty()) {
            out.println("opencl    no OpenCL platform/device found (install a driver such as PoCL or a GPU vendor's ICD)");
        }
        lines.forEach(out::println);
    }

    private static String human(long bytes) {
        return String.format("%.1f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    /** Touches the OpenCL classes only when listing is asked for, so a missing runtime is a message. */
    private static final class OpenClListing {

        static List<String> lines() {
            return dev.peft4j.kernels.opencl.OpenClDevices.list().stream()
                    .map(dev.peft4j.kernels.opencl.OpenClDevice::describe).toList();
        }
    }
}
