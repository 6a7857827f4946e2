package dev.peft4j.peft.cli;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;
import dev.peft4j.peft.merge.Dare;
import dev.peft4j.peft.merge.GreedySoup;
import dev.peft4j.peft.merge.Gpt2DevScorer;
import dev.peft4j.peft.merge.LoraExtraction;
import dev.peft4j.peft.merge.LoraExtractor;
import dev.peft4j.peft.merge.LoraTargets;
import dev.peft4j.peft.merge.ModelStock;
import dev.peft4j.peft.merge.StateDict;
import dev.peft4j.peft.merge.TaskArithmetic;
import dev.peft4j.peft.merge.Ties;
import dev.peft4j.peft.merge.UniformSoup;
import dev.peft4j.peft.merge.WeightsDirectory;
import dev.peft4j.peft.merge.WiseFt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code peft4j merge-weights}: weight-space methods over saved models or adapters — WiSE-FT, uniform and
 * greedy soups, Model Stock, task arithmetic, TIES, DARE — and LoRA extraction from a full fine-tune. The
 * output keeps the first model's file name and config files.
 */
@Command(name = "merge-weights", mixinStandardHelpOptions = true,
        description = "Merge fine-tuned weights (WiSE-FT, soups, Model Stock, task arithmetic, TIES, DARE) "
                + "or extract a LoRA adapter from a full fine-tune.")
public final class MergeWeightsCommand implements Callable<Integer> {

    /** The methods, spelled as on the command line. */
    enum Method {
        WISE("wise"), SOUP("soup"), GREEDY_SOUP("greedy-soup"), MODEL_STOCK("model-stock"),
        TASK_ARITHMETIC("task-arithmetic"), TIES("ties"), DARE("dare"), LORA_EXTRACT("lora-extract");

        final String flag;

        Method(String flag) {
            this.flag = flag;
        }

        static Method parse(String flag) {
            for (Method m : values()) {
                if (m.flag.equals(flag)) {
                    return m;
                }
            }
            List<String> all = new ArrayList<>();
            for (Method m : values()) {
                all.add(m.flag);
            }
            throw new IllegalArgumentException("unknown --method \"" + flag + "\"; choose one of " + all);
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--method", required = true,
            description = "wise | soup | greedy-soup | model-stock | task-arithmetic | ties | dare | lora-extract")
    String method;

    @Option(names = "--base", description = "The model the others were fine-tuned from (a directory or .safetensors).")
    Path base;

    @Option(names = "--models", required = true, split = ",",
            description = "Fine-tuned models or adapters, comma-separated; the first one's layout is kept.")
    List<Path> models;

    @Option(names = "--out", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--alpha", defaultValue = "0.5", description = "WiSE-FT: weight of the fine-tuned model (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--lambda", defaultValue = "1.0", description = "Task arithmetic/TIES/DARE: scale of the merged task vector (default: ${DEFAULT-VALUE}).")
    double lambda;

    @Option(names = "--density", defaultValue = "0.2", description = "TIES: fraction of each task vector kept, by magnitude (default: ${DEFAULT-VALUE}, the paper's top-20%%).")
    double density;

    @Option(names = "--drop-rate", defaultValue = "0.9", description = "DARE: probability of dropping a delta entry (default: ${DEFAULT-VALUE}).")
    double dropRate;

    @Option(names = "--combine", defaultValue = "linear", description = "DARE: combine the sparsified deltas by linear | ties (default: ${DEFAULT-VALUE}).")
    String combine;

    @Option(names = "--seed", defaultValue = "0", description = "DARE: seed of the drop masks (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"--r", "--rank"}, description = "lora-extract: LoRA rank.")
    Integer rank;

    @Option(names = "--dev", description = "greedy-soup: JSONL dev set ({\"text\"} or {\"prompt\",\"completion\"}) scored by GPT-2 token loss.")
    Path dev;

    @Option(names = "--tokenizer", description = "greedy-soup: directory with tokenizer.json or vocab.json + merges.txt (default: the first model's).")
    Path tokenizer;

    @Override
    public Integer call() throws IOException {
        PrintWriter log = spec.commandLine().getOut();
        Method m = Method.parse(method);
        List<WeightsDirectory> inputs = new ArrayList<>();
        for (Path p : models) {
            inputs.add(WeightsDirectory.open(p));
        }
        WeightsDirectory first = inputs.get(0);
        List<StateDict> fineTuned = new ArrayList<>();
        for (WeightsDirectory w : inputs) {
            fineTuned.add(w.load());
        }
        StateDict baseWeights = needsBase(m) ? WeightsDirectory.open(requireBase(m)).load() : null;
        log.printf("merge-weights %s: %d model(s)%s%n", m.flag, fineTuned.size(),
                baseWeights == null ? "" : ", base " + baseWeights.source());

        if (m == Method.LORA_EXTRACT) {
            extractLora(first, baseWeights, single(m, fineTuned), log);
            return 0;
        }
        StateDict merged = switch (m) {
            case WISE -> WiseFt.interpolate(baseWeights, single(m, fineTuned), alpha);
            case SOUP -> UniformSoup.average(fineTuned);
            case GREEDY_SOUP -> greedySoup(first, fineTuned, log);
            case MODEL_STOCK -> modelStock(baseWeights, fineTuned, log);
            case TASK_ARITHMETIC -> TaskArithmetic.merge(baseWeights, fineTuned, lambda);
            case TIES -> Ties.merge(baseWeights, fineTuned, density, lambda);
            case DARE -> Dare.merge(baseWeights, fineTuned, dropRate, seed, parseCombine(), lambda);
            case LORA_EXTRACT -> throw new IllegalStateException("handled above");
        };
        Path written = first.saveAlike(merged, out);
        log.printf("wrote %s (%d tensors, %d values) with the config files of %s%n", written, merged.size(),
                merged.parameterCount(), first.path());
        log.flush();
        return 0;
    }

    private static boolean needsBase(Method m) {
        return m != Method.SOUP && m != Method.GREEDY_SOUP;
    }

    private Path requireBase(Method m) {
        if (base == null) {
            throw new IllegalArgumentException("--method " + m.flag + " needs --base (the model that was fine-tuned)");
        }
        return base;
    }

    private static StateDict single(Method m, List<StateDict> fineTuned) {
        if (fineTuned.size() != 1) {
            throw new IllegalArgumentException("--method " + m.flag + " takes exactly one model in --models, got "
                    + fineTuned.size());
        }
        return fineTuned.get(0);
    }

    private Dare.Combine parseCombine() {
        return switch (combine) {
            case "linear" -> Dare.Combine.LINEAR;
            case "ties" -> Dare.Combine.TIES;
            default -> throw new IllegalArgumentException("--combine must be linear or ties, got \"" + combine + "\"");
        };
    }

    private StateDict modelStock(StateDict baseWeights, List<StateDict> fineTuned, PrintWriter log) {
        ModelStock.Result r = ModelStock.merge(baseWeights, fineTuned);
        double sum = 0;
        for (double t : r.ratios().values()) {
            sum += t;
        }
        log.printf("model stock: mean interpolation ratio t = %.4f over %d tensors%n", sum / r.ratios().size(),
                r.ratios().size());
        return r.merged();
    }

    private StateDict greedySoup(WeightsDirectory first, List<StateDict> fineTuned, PrintWriter log)
            throws IOException {
        if (dev == null) {
            throw new IllegalArgumentException("--method greedy-soup needs --dev FILE.jsonl to score candidate soups");
        }
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.fromDirectory(tokenizer != null ? tokenizer : first.directory());
        try (Kernels kernels = new CpuKernels()) {
            Gpt2DevScorer scorer = Gpt2DevScorer.load(first.directory(), tok, dev, kernels);
            log.printf("greedy soup: scoring on %s (%d tokens) by GPT-2 mean token loss%n", dev, scorer.scoredTokens());
            GreedySoup.Result r = GreedySoup.cook(fineTuned, scorer);
            for (int i = 0; i < fineTuned.size(); i++) {
                log.printf("  model %d %s: dev loss %.5f%n", i, fineTuned.get(i).source(), -r.individualScores()[i]);
            }
            for (GreedySoup.Step s : r.steps()) {
                log.printf("  + model %d -> soup loss %.5f: %s%n", s.model(), -s.candidateScore(),
                        s.kept() ? "kept" : "skipped");
            }
            log.printf("greedy soup of models %s: dev loss %.5f%n", r.ingredients(), -r.soupScore());
            return r.soup();
        }
    }

    private void extractLora(WeightsDirectory first, StateDict baseWeights, StateDict fineTuned, PrintWriter log)
            throws IOException {
        if (rank == null) {
            throw new IllegalArgumentException("--method lora-extract needs --r RANK");
        }
        Map<String, Object> config = first.modelConfig();
        String prefix = LoraTargets.modulePrefixFor(fineTuned, config);
        Object name = config.get("_name_or_path");
        LoraExtraction x = LoraExtractor.extract(baseWeights, fineTuned, rank, prefix,
                name instanceof String s && !s.isEmpty() ? s : base.toString());
        x.save(out);
        log.printf("LoRA rank %d over %d modules (fan_in_fan_out=%s); relative Frobenius error per layer:%n",
                rank, x.layers().size(), x.adapterConfig().get("fan_in_fan_out"));
        for (LoraExtraction.Layer l : x.layers()) {
            log.printf("  %-48s [%d x %d]  |dW| %.4e  error %.4f%n", l.module(), l.outFeatures(), l.inFeatures(),
                    l.deltaNorm(), l.relativeError());
        }
        if (!x.uncaptured().isEmpty()) {
            log.printf("not captured by the LoRA (changed, but not linear weights): %s%n", x.uncaptured());
        }
        log.printf("wrote %s%n", out.resolve(WeightsDirectory.ADAPTER_FILE));
        log.flush();
    }
}
