package dev.peft4j.peft.cli;

import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.peft.core.TargetModules;
import dev.peft4j.peft.fewshot.ClassifierKind;
import dev.peft4j.peft.fewshot.DataRow;
import dev.peft4j.peft.fewshot.FewShotExperiment;
import dev.peft4j.peft.fewshot.FewShotJsonl;
import dev.peft4j.peft.fewshot.FewShotRun;
import dev.peft4j.peft.fewshot.FewShotSplit;
import dev.peft4j.peft.fewshot.MethodOptions;
import dev.peft4j.peft.fewshot.ModelTokenizer;
import dev.peft4j.peft.fewshot.RunSpec;
import dev.peft4j.peft.fewshot.TrainableModel;
import dev.peft4j.peft.report.ResultRow;
import dev.peft4j.peft.report.ResultsTable;
import dev.peft4j.peft.report.RunReport;
import dev.peft4j.peft.train.AdapterMethod;
import dev.peft4j.peft.train.OptimizerSettings;
import dev.peft4j.peft.train.Progress;
import dev.peft4j.peft.train.TrainerSettings;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code peft4j finetune}: trains full weights or any adapter method on a JSONL file — causal-LM rows, or
 * classification rows scored through the LM (prompt + label words), a head, or label embeddings — with
 * optional K-shot sampling, a dev split for early stopping, several seeds or methods compared, checkpoints
 * and {@code --resume}; writes the adapter in HF PEFT format, {@code report.html} and {@code metrics.json}.
 */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Fine-tune a GPT-2 checkpoint (full or any adapter method); writes the adapter (HF PEFT format),"
                + " report.html and metrics.json. One method and seed: all in --out; several: --out/runs/<method>/seed-<s>.")
final class FinetuneCommand implements Callable<Integer> {

    @Mixin
    DeviceOption device;

    @Option(names = "--model", required = true, description = "HF GPT-2 checkpoint directory.")
    Path model;

    @Option(names = "--data", required = true, description = "JSONL: {text}, {prompt,completion} or {input_ids[,labels]}"
            + " per line (causal LM), or {text,label} (classification).")
    Path data;

    @Option(names = "--test-data", description = "Held-out JSONL scored after training (default: with --k, the rows not sampled).")
    Path testData;

    @Option(names = "--skip-bad-rows", description = "Count and report bad rows instead of stopping at the first.")
    boolean skipBadRows;

    @Option(names = "--method", defaultValue = "lora", split = ",",
            description = "full, lora, rslora, dora, pissa, lora-b-only, cola, vera, ia3, ssf, bitfit, ln, adapter,"
                    + " parallel-adapter, prompt, prefix or sparse; several comma-separated are compared"
                    + " (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--r", defaultValue = "8", description = "Rank, bottleneck size or virtual tokens (default: ${DEFAULT-VALUE}).")
    int r;

    @Option(names = "--alpha", defaultValue = "8", description = "lora_alpha (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--dropout", defaultValue = "0", description = "Adapter dropout; above 0 a resume is not bit-exact"
            + " (default: ${DEFAULT-VALUE}).")
    float dropout;

    @Option(names = "--target-modules", description = "Names (comma-separated), all-linear, or re:REGEX (default: the method's).")
    String targetModules;

    @Option(names = "--adapter", description = "Continue from this saved adapter directory.")
    Path adapter;

    @Option(names = "--sparse-select", defaultValue = "random",
            description = "Method sparse: how entries are chosen: random, magnitude, small-magnitude, gradient, fisher,"
                    + " lift, hft or sct (default: ${DEFAULT-VALUE}).")
    String sparseSelect;

    @Option(names = "--density", defaultValue = "0.01",
            description = "Method sparse: fraction of each target's entries trained (default: ${DEFAULT-VALUE}).")
    double density;

    @Option(names = "--cola-every", defaultValue = "0",
            description = "Chain of LoRA: fold and restart every N steps (default: steps/3).")
    int colaEvery;

    @Option(names = "--classifier", defaultValue = "prompt",
            description = "Classification rows: prompt (LM-BFF label words), head (modules_to_save score) or"
                    + " label-embeddings (PERFECT) (default: ${DEFAULT-VALUE}).")
    String classifier;

    @Option(names = "--template", defaultValue = "{text}", description = "Prompt template with a {text} slot (default: ${DEFAULT-VALUE}).")
    String template;

    @Option(names = "--label-words", description = "label=word,... one single-token word per class (default: the labels).")
    String labelWords;

    @Option(names = "--k", description = "Sample K training rows per class (per file without classes) per seed"
            + " (default: train on every row).")
    Integer k;

    @Option(names = "--dev-k", description = "With --k: dev rows per class for evaluation and early stopping, 0 = none"
            + " (default: = --k).")
    Integer devK;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for init, sampling and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--seeds", split = ",", description = "Several seeds, e.g. 13,21,42: one run each, mean ± std reported.")
    List<Long> seeds;

    static final class Length {
        @Option(names = "--steps", description = "Optimizer updates per run (default 100).")
        Integer steps;

        @Option(names = "--epochs", description = "Passes over the training rows instead of --steps.")
        Integer epochs;
    }

    @ArgGroup(exclusive = true)
    Length length = new Length();

    @Option(names = "--batch-size", defaultValue = "8", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--no-shuffle", description = "Keep file order instead of a seeded shuffle per epoch.")
    boolean noShuffle;

    @Option(names = "--optimizer", defaultValue = "adamw", description = "adamw or sgd (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--grad-clip", defaultValue = "1.0", description = "Global grad-norm bound, 0 = off (default: ${DEFAULT-VALUE}).")
    double gradClip;

    @Option(names = "--lr-schedule", defaultValue = "constant", description = "constant, linear or cosine (default: ${DEFAULT-VALUE}).")
    String lrSchedule;

    @Option(names = "--warmup-steps", defaultValue = "0", description = "Linear warm-up steps (default: ${DEFAULT-VALUE}).")
    int warmupSteps;

    @Option(names = "--eval-every", defaultValue = "10", description = "Dev evaluation every N steps (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--patience", defaultValue = "0", description = "Stop after N dev evaluations without gain, 0 = never (default: ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Checkpoint every N steps, 0 = none (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue each run from its newest checkpoint under --out.")
    boolean resume;

    @Option(names = "--base-dtype", defaultValue = "f32",
            description = "Storage of the frozen base weights: f32, or bf16 (half their memory; adapters, gradients and"
                    + " arithmetic stay f32; CPU only; not for full or cola) (default: ${DEFAULT-VALUE}).")
    String baseDtype;

    @Option(names = "--out", required = true, description = "Output directory: the adapter (or runs/), report.html, metrics.json.")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintStream log = System.out;
        ClassifierKind kind = ClassifierKind.parse(classifier);
        for (String m : methods) {
            if (!m.equals(TrainableModel.FULL)) {
                AdapterMethod.parse(m); // an unknown name fails here, listing the methods
            }
        }
        boolean bf16Base = switch (baseDtype) {
            case "f32" -> false;
            case "bf16" -> true;
            default -> throw new IllegalArgumentException("--base-dtype '" + baseDtype + "': expected f32 or bf16");
        };
        if (bf16Base) {
            methods.forEach(FewShotRun::checkBf16Base);
        }
        if (devK != null && k == null) {
            throw new IllegalArgumentException("--dev-k samples a dev split alongside --k; give --k too");
        }
        FewShotJsonl.Loaded loaded = read(data, log);
        List<DataRow> test = testData == null ? null : read(testData, log).rows();
        boolean classify = loaded.rows().getFirst() instanceof DataRow.Classification;
        int classes = classify ? FewShotSplit.labels(loaded.rows()).size() : 1;
        int dk = devK != null ? devK : k != null ? k : 0;
        int trainSize = k != null ? k * classes : loaded.rows().size();
        int steps = length.epochs != null ? length.epochs * ((trainSize + batchSize - 1) / batchSize)
                : length.steps != null ? length.steps : 100;
        if (steps <= 0) {
            throw new IllegalArgumentException("--steps/--epochs must be positive, got " + steps + " steps");
        }
        TrainerSettings trainer = new TrainerSettings(new OptimizerSettings(optimizer, lr, weightDecay, gradClip,
                lrSchedule, warmupSteps, steps), batchSize, evalEvery, patience, checkpointEvery, 0, !noShuffle);
        MethodOptions options = new MethodOptions(r, alpha, dropout,
                targetModules == null ? null : TargetModules.parse(targetModules), sparseSelect, density, colaEvery, adapter,
                bf16Base);
        List<Long> runSeeds = seeds != null ? seeds : List.of(seed);
        boolean single = methods.size() == 1 && runSeeds.size() == 1;
        ModelTokenizer tokenizer = new ModelTokenizer(model);
        log.printf("peft4j finetune: %s on %s, %d %s rows%s, %d steps of %d, seeds %s%n", String.join(",", methods),
                model, loaded.rows().size(), DataRow.kind(loaded.rows().getFirst()),
                k != null ? String.format(" (K=%d%s, dev %d)", k, classify ? " per class" : "", dk) : "", steps,
                batchSize, runSeeds);
        List<ResultRow> rows;
        try (Kernels kernels = device.open()) {
            rows = FewShotExperiment.run(methods, runSeeds, s -> {
                        FewShotSplit split = k != null ? FewShotSplit.sample(loaded.rows(), k, dk, s, data.toString())
                                : FewShotSplit.all(loaded.rows());
                        return new FewShotRun.Inputs(model, tokenizer, split, test != null ? test : split.rest(),
                                data.toString());
                    },
                    m -> new RunSpec(m, kind, options, trainer, template, labelWords),
                    single ? out : out.resolve("runs"), single, resume, log,
                    (label, total) -> Progress.forConsole(log, label, Math.max(1, total / 10)), kernels);
        }
        String scoreName = classify ? "accuracy %" : "test loss";
        log.println();
        log.print(ResultsTable.render(rows, scoreName, classify));
        new RunReport("peft4j finetune: " + data.getFileName(), scoreName, classify, settings(classify, kind, steps,
                runSeeds, loaded.skipped().size()), rows).write(out);
        log.println((single ? (methods.getFirst().equals(TrainableModel.FULL) ? "model" : "adapter") + " written to "
                + out + "; " : "runs in " + out.resolve("runs") + "; ") + "report: " + out.resolve("report.html"));
        return rows.stream().allMatch(ResultRow::ok) ? 0 : 1;
    }

    private Map<String, Object> settings(boolean classify, ClassifierKind kind, int steps, List<Long> runSeeds,
                                         int skipped) {
        Map<String, Object> s = Json.newObject();
        s.put("model", model.toString());
        s.put("data", data.toString());
        s.put("objective", classify ? kind.cliName() : "causal-lm");
        if (classify) {
            s.put("template", template);
            s.put("label_words", labelWords);
        }
        s.put("k", k == null ? null : (long) k);
        s.put("steps", (long) steps);
        s.put("batch_size", (long) batchSize);
        s.put("optimizer", optimizer);
        s.put("lr", (double) lr);
        s.put("lr_schedule", lrSchedule);
        s.put("base_dtype", baseDtype);
        s.put("seeds", runSeeds.toString());
        s.put("skipped_rows", (long) skipped);
        return s;
    }

    private FewShotJsonl.Loaded read(Path file, PrintStream log) throws java.io.IOException {
        FewShotJsonl.Loaded l = FewShotJsonl.read(file, skipBadRows);
        if (!l.skipped().isEmpty()) {
            log.println("skipped " + l.skipped().size() + " bad row(s) of " + l.file() + ":");
            l.skipped().stream().limit(10).forEach(s -> log.println("  " + s));
            if (l.skipped().size() > 10) {
                log.println("  ... and " + (l.skipped().size() - 10) + " more");
            }
        }
        return l;
    }
}
