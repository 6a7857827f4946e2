package dev.peft4j.peft.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code peft4j} command line: one subcommand per job. */
@Command(name = "peft4j", mixinStandardHelpOptions = true, version = "peft4j 0.1.0",
        description = "Pure-Java parameter-efficient fine-tuning of transformers.",
        footer = {"", "Benchmarks run from the bench module through the same launcher:",
                "  ./peft4j bench gemm|train|opencl-gemm|train-step ...   (./peft4j bench for its usage)"},
        subcommands = {DemoCommand.class, FinetuneCommand.class, MergeCommand.class, MergeWeightsCommand.class,
                DevicesCommand.class, EvalCommand.class, GenerateCommand.class, InspectCommand.class,
                QuickstartCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        int exit = new CommandLine(new Main())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    // Users get the message, not a stack trace; PEFT4J_DEBUG=1 shows the trace.
                    if (System.getenv("PEFT4J_DEBUG") != null) {
                        e.printStackTrace();
                    }
                    cmd.getErr().println("peft4j: " + e.getMessage());
                    return 1;
                })
                .execute(args);
        System.exit(exit);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
