package dev.peft4j.peft.cli;

import dev.peft4j.engine.Rng;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TargetModules;
import dev.peft4j.peft.lora.ChainOfLora;
import dev.peft4j.peft.sparse.Selection;
import dev.peft4j.peft.sparse.SelectionData;
import dev.peft4j.peft.sparse.SparseConfig;
import dev.peft4j.peft.train.AdapterMethod;
import dev.peft4j.peft.train.Batch;
import dev.peft4j.peft.train.BatchSampler;
import dev.peft4j.peft.train.JsonlDataset;
import dev.peft4j.peft.train.OptimizerSettings;
import dev.peft4j.peft.train.TrainingExample;
import dev.peft4j.peft.train.TrainingLoop;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;

/** {@code peft4j finetune}: trains an adapter on a causal-LM JSONL file and writes it in HF PEFT format. */
@Command(name = "finetune", mixinStandardHelpOptions = true,
        description = "Fine-tune an adapter (LoRA family or VeRA) on a GPT-2 checkpoint; writes adapter_config.json"
                + " and adapter_model.safetensors.")
final class FinetuneCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "HF GPT-2 checkpoint directory.")
    Path model;

    @Option(names = "--data", required = true, description = "JSONL: {\"text\": ...} or {\"input_ids\": [...], \"labels\": [...]} per line.")
    Path data;

    @Option(names = "--method", defaultValue = "lora",
            description = "lora, rslora, dora, pissa, lora-b-only, cola or vera (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--r", defaultValue = "8", description = "Rank (default: ${DEFAULT-VALUE}).")
    int r;

    @Option(names = "--alpha", defaultValue = "8", description = "lora_alpha (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--dropout", defaultValue = "0", description = "Adapter dropout (default: ${DEFAULT-VALUE}).")
    float dropout;

    @Option(names = "--target-modules", description = "Names (comma-separated), all-linear, or re:REGEX (default: the model's).")
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

    @Option(names = "--steps", defaultValue = "100", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "8", description = "Examples per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--no-shuffle", description = "Keep file order instead of a seeded shuffle per epoch.")
    boolean noShuffle;

    @Option(names = "--cola-every", defaultValue = "0",
            description = "Chain of LoRA: fold and restart every N steps (default: steps/3).")
    int colaEvery;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for init, dropout and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, description = "Directory to write the adapter to.")
    Path out;

    @Override
    public Integer call() throws IOException {
        PrintStream log = System.out;
        AdapterMethod m = AdapterMethod.parse(method);
        if (steps <= 0) {
            throw new IllegalArgumentException("--steps must be positive, got " + steps);
        }
        OptimizerSettings settings = new OptimizerSettings(optimizer, lr, weightDecay, gradClip, lrSchedule,
                warmupSteps, steps);
        try (Kernels k = new CpuKernels()) {
            Gpt2Model gpt2 = Gpt2Model.fromPretrained(model, k);
            List<TrainingExample> examples = JsonlDataset.read(data, lazyTokenizer(model),
                    gpt2.config().vocabSize());
            Rng rng = new Rng(seed);
            PeftModel peft;
            if (adapter != null) {
                peft = new PeftModel(gpt2, k);
                peft.loadAdapter(adapter, PeftModel.DEFAULT_ADAPTER, true, m::adjustLoaded);
            } else {
                AdapterConfig config = m.config(r, alpha, dropout,
                        targetModules == null ? null : TargetModules.parse(targetModules));
                config.baseModelNameOrPath(model.toString());
                if (config instanceof SparseConfig sparse) {
                    // Data-dependent selections run one pass over the examples in file order.
                    List<Batch> pass = new java.util.ArrayList<>();
                    for (int i = 0; i < examples.size(); i += batchSize) {
                        pass.add(Batch.collate(examples.subList(i, Math.min(examples.size(), i + batchSize)), 0));
                    }
                    sparse.selection(Selection.parse(sparseSelect, "--sparse-select")).density(density)
                            .selectionData(SelectionData.of(gpt2, pass,
                                    b -> Gpt2Model.causalLmLoss(gpt2.forward(b.inputIds(), b.batch(), b.seq()), b.labels())));
                }
                peft = PeftModel.create(gpt2, k, config, rng);
            }
            log.println("peft4j finetune: " + m.cliName() + " on " + model + ", " + examples.size() + " examples; "
                    + peft.summary());
            gpt2.train(true);
            BatchSampler sampler = new BatchSampler(examples, batchSize, !noShuffle, rng.fork());
            ChainOfLora chain = m == AdapterMethod.COLA
                    ? new ChainOfLora(peft, PeftModel.DEFAULT_ADAPTER, colaEvery > 0 ? colaEvery : Math.max(1, steps / 3),
                    rng.fork()) : null;
            int every = Math.max(1, steps / 10);
            List<Float> losses = TrainingLoop.run(peft::trainableParameters,
                    () -> Batch.collate(sampler.next(), 0),
                    b -> Gpt2Model.causalLmLoss(gpt2.forward(b.inputIds(), b.batch(), b.seq()), b.labels()),
                    settings,
                    (step, loss) -> {
                        if (step % every == 0 || step == steps - 1) {
                            log.printf("step %5d  loss %.4f%n", step, loss);
                        }
                        return chain != null && chain.afterStep(step, steps);
                    });
            gpt2.eval();
            peft.save(out);
            log.printf("loss %.4f -> %.4f; adapter written to %s%n", losses.get(0), losses.get(losses.size() - 1), out);
        }
        return 0;
    }

    /** The checkpoint's tokenizer, loaded only if a text row needs it. */
    private static Function<String, int[]> lazyTokenizer(Path dir) {
        ByteLevelBpeTokenizer[] holder = new ByteLevelBpeTokenizer[1];
        return text -> {
            if (holder[0] == null) {
                try {
                    holder[0] = ByteLevelBpeTokenizer.fromDirectory(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException(dir + ": cannot load the tokenizer for text rows: " + e.getMessage(), e);
                }
            }
            return holder[0].encode(text);
        };
    }
}
