package dev.peft4j.peft.cli;

import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;
import dev.peft4j.peft.core.TargetModules;
import dev.peft4j.peft.fewshot.ClassifierKind;
import dev.peft4j.peft.fewshot.DataRow;
import dev.peft4j.peft.fewshot.FewShotExperiment;
import dev.peft4j.peft.fewshot.FewShotJsonl;
import dev.peft4j.peft.fewshot.FewShotRun;
import dev.peft4j.peft.fewshot.FewShotSplit;
import dev.peft4j.peft.fewshot.RunSpec;
import dev.peft4j.peft.fewshot.TrainerSettings;
import dev.peft4j.peft.report.ResultRow;
import dev.peft4j.peft.report.ResultsTable;
import dev.peft4j.peft.report.RunReport;
import dev.peft4j.peft.train.OptimizerSettings;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code peft4j fewshot}: the few-shot protocol on the user's JSONL — K per class sampled per seed, a dev
 * split for early stopping, mean ± std over seeds; classification through the LM (prompt + label words),
 * a head, or learned label embeddings; checkpoints and {@code --resume}; a report per run.
 */
@Command(name = "fewshot", mixinStandardHelpOptions = true,
        description = "Few-shot fine-tuning (full or any adapter method) with K-shot sampling, dev early stopping,"
                + " several seeds, checkpoints/--resume, and report.html + metrics.json. Dropout is off, so runs are"
                + " deterministic and resumable.")
public final class FewshotCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "HF GPT-2 checkpoint directory (with its tokenizer).")
    Path model;

    @Option(names = "--data", required = true, description = "JSONL: {text,label}, {prompt,completion} or {input_ids,labels}.")
    Path data;

    @Option(names = "--test-data", description = "Held-out JSONL (default: the rows of --data not sampled).")
    Path testData;

    @Option(names = "--skip-bad-rows", description = "Count and report bad rows instead of stopping at the first.")
    boolean skipBadRows;

    @Option(names = "--method", defaultValue = "lora", split = ",",
            description = "full or an adapter method; several comma-separated are compared (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--classifier", defaultValue = "prompt",
            description = "prompt (LM-BFF label words), head (modules_to_save score) or label-embeddings (PERFECT)"
                    + " (default: ${DEFAULT-VALUE}).")
    String classifier;

    @Option(names = "--template", defaultValue = "{text}", description = "Prompt template with a {text} slot (default: ${DEFAULT-VALUE}).")
    String template;

    @Option(names = "--label-words", description = "label=word,... one single-token word per class (default: the labels).")
    String labelWords;

    @Option(names = "--k", defaultValue = "16", description = "Training examples per class (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--dev-k", defaultValue = "-1", description = "Dev examples per class, 0 = none (default: = --k).")
    int devK;

    @Option(names = "--seeds", defaultValue = "13,21,42,87,100", split = ",", description = "Seeds (default: ${DEFAULT-VALUE}).")
    List<Long> seeds;

    static final class Length {
        @Option(names = "--steps", description = "Optimizer updates per run (default 100).")
        Integer steps;

        @Option(names = "--epochs", description = "Passes over the K-shot training set instead of --steps.")
        Integer epochs;
    }

    @ArgGroup(exclusive = true)
    Length length = new Length();

    @Option(names = "--batch-size", defaultValue = "8", description = "Examples per update (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--optimizer", defaultValue = "adamw", description = "adamw or sgd (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--grad-clip", defaultValue = "1.0", description = "Global grad-norm bound, 0 = off (default: ${DEFAULT-VALUE}).")
    double gradClip;

    @Option(names = "--lr-schedule", defaultValue = "linear", description = "constant, linear or cosine (default: ${DEFAULT-VALUE}).")
    String lrSchedule;

    @Option(names = "--warmup-steps", defaultValue = "0", description = "Linear warm-up updates (default: ${DEFAULT-VALUE}).")
    int warmupSteps;

    @Option(names = "--eval-every", defaultValue = "10", description = "Dev evaluation every N updates (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--patience", defaultValue = "0", description = "Stop after N dev evaluations without gain, 0 = never (default: ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Checkpoint every N updates, 0 = none (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue each run from its newest checkpoint under --out.")
    boolean resume;

    @Option(names = "--r", defaultValue = "8", description = "Adapter rank (default: ${DEFAULT-VALUE}).")
    int r;

    @Option(names = "--alpha", defaultValue = "16", description = "lora_alpha (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--target-modules", description = "Names (comma-separated), all-linear, or re:REGEX (default: the method's).")
    String targetModules;

    @Option(names = "--out", required = true, description = "Output directory: runs, report.html, metrics.json.")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintStream log = System.out;
        ClassifierKind kind = ClassifierKind.parse(classifier);
        FewShotJsonl.Loaded loaded = FewShotJsonl.read(data, skipBadRows);
        report(loaded, log);
        List<DataRow> test = null;
        if (testData != null) {
            FewShotJsonl.Loaded t = FewShotJsonl.read(testData, skipBadRows);
            report(t, log);
            test = t.rows();
        }
        int dk = devK < 0 ? k : devK;
        boolean classify = loaded.rows().getFirst() instanceof DataRow.Classification;
        int classes = classify ? FewShotSplit.labels(loaded.rows()).size() : 1;
        int trainSize = k * classes;
        int steps = length.epochs != null ? length.epochs * ((trainSize + batchSize - 1) / batchSize)
                : length.steps != null ? length.steps : 100;
        if (steps <= 0) {
            throw new IllegalArgumentException("--steps/--epochs must be positive");
        }
        TrainerSettings trainer = new TrainerSettings(new OptimizerSettings(optimizer, lr, weightDecay, gradClip,
                lrSchedule, warmupSteps, steps), batchSize, evalEvery, patience, checkpointEvery, 0);
        TargetModules targets = targetModules == null ? null : TargetModules.parse(targetModules);
        ByteLevelBpeTokenizer tokenizer = ByteLevelBpeTokenizer.fromDirectory(model);
        List<DataRow> fixedTest = test;
        log.printf("peft4j fewshot: %d rows of %s, K=%d (dev %d) %s, %d steps, seeds %s%n", loaded.rows().size(),
                DataRow.kind(loaded.rows().getFirst()), k, dk, classify ? "per class" : "rows", steps, seeds);
        List<ResultRow> rows;
        try (Kernels kernels = new CpuKernels()) {
            rows = FewShotExperiment.run(methods, seeds, seed -> {
                        FewShotSplit split = FewShotSplit.sample(loaded.rows(), k, dk, seed, data.toString());
                        return new FewShotRun.Inputs(model, tokenizer, split, fixedTest != null ? fixedTest : split.rest(),
                                data.toString());
                    },
                    m -> new RunSpec(m, kind, r, alpha, targets, trainer, template, labelWords),
                    out.resolve("runs"), resume, log, true, kernels);
        }
        String scoreName = classify ? "accuracy %" : "test loss";
        log.println();
        log.print(ResultsTable.render(rows, scoreName, classify));
        Map<String, Object> settings = Json.newObject();
        settings.put("model", model.toString());
        settings.put("data", data.toString());
        settings.put("classifier", classify ? kind.cliName() : "causal-lm");
        settings.put("template", template);
        settings.put("k", (long) k);
        settings.put("steps", (long) steps);
        settings.put("lr", (double) lr);
        settings.put("seeds", seeds.toString());
        settings.put("skipped_rows", (long) loaded.skipped().size());
        new RunReport("peft4j fewshot: " + data.getFileName(), scoreName, classify, settings, rows).write(out);
        log.println("report: " + out.resolve("report.html"));
        return rows.stream().allMatch(ResultRow::ok) ? 0 : 1;
    }

    private static void report(FewShotJsonl.Loaded l, PrintStream log) {
        if (!l.skipped().isEmpty()) {
            log.println("skipped " + l.skipped().size() + " bad row(s) of " + l.file() + ":");
            l.skipped().stream().limit(10).forEach(s -> log.println("  " + s));
            if (l.skipped().size() > 10) {
                log.println("  ... and " + (l.skipped().size() - 10) + " more");
            }
        }
    }
}
