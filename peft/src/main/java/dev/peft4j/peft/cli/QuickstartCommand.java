package dev.peft4j.peft.cli;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.peft.quickstart.Quickstart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code peft4j quickstart}: the offline few-shot tour on the shipped small GPT. */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Few-shot fine-tune the shipped small GPT on a new procedural task with several methods and"
                + " seeds; prints one table and writes report.html and metrics.json. Runs offline.")
public final class QuickstartCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "runs/quickstart", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--methods", split = ",", description = "Methods to compare (default: full,lora,ia3,ssf,sparse,prompt).")
    List<String> methods;

    @Option(names = "--seeds", defaultValue = "3", description = "Seeds per method (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--k", defaultValue = "16", description = "Training examples per class (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--steps", defaultValue = "100", description = "Updates per run (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--test", defaultValue = "200", description = "Held-out rows (default: ${DEFAULT-VALUE}).")
    int test;

    @Option(names = "--model", description = "Another GPT-2 directory with a byte-level tokenizer (default: the shipped one).")
    Path model;

    @Override
    public Integer call() throws Exception {
        Quickstart.Settings d = Quickstart.Settings.defaults();
        Quickstart.Settings s = new Quickstart.Settings(methods == null ? d.methods() : methods, seeds, k, test, steps,
                d.batch(), Math.max(1, Math.min(d.evalEvery(), steps)));
        try (Kernels kernels = new CpuKernels()) {
            Quickstart.run(s, out, model, System.out, true, kernels);
        }
        return 0;
    }
}
