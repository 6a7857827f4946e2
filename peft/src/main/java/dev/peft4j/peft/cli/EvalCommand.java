package dev.peft4j.peft.cli;

import dev.peft4j.engine.Autograd;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.fewshot.ModelTokenizer;
import dev.peft4j.peft.train.Batch;
import dev.peft4j.peft.train.JsonlDataset;
import dev.peft4j.peft.train.TrainingExample;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code peft4j eval}: the causal-LM loss of a GPT-2 checkpoint (optionally with an adapter) on a JSONL
 * file, averaged over every scored token of the file, and its perplexity.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Mean token cross-entropy and perplexity of a GPT-2 checkpoint (plus an optional adapter)"
                + " on a JSONL file.")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "HF GPT-2 checkpoint directory.")
    Path model;

    @Option(names = "--data", required = true,
            description = "JSONL: {\"text\": ...} or {\"input_ids\": [...], \"labels\": [...]} per line"
                    + " (labels optional, -100 = not scored); rows longer than n_positions are truncated.")
    Path data;

    @Option(names = "--batch-size", defaultValue = "8", description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--adapter", description = "HF PEFT adapter directory to apply to the model.")
    Path adapter;

    @Mixin
    DeviceOption device;

    @Spec
    CommandSpec spec;

    /** The file's summed loss and the number of tokens it was summed over. */
    record Score(double lossSum, long tokens) {
        double meanLoss() {
            return lossSum / tokens;
        }
    }

    @Override
    public Integer call() throws IOException {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
        }
        try (Kernels k = device.open()) {
            Gpt2Model gpt2 = loadModel(model, adapter, k);
            List<TrainingExample> rows = truncate(
                    JsonlDataset.read(data, new ModelTokenizer(model)::encode, gpt2.config().vocabSize()),
                    gpt2.config().nPositions());
            Score score = score(gpt2, rows, batchSize);
            if (score.tokens() == 0) {
                throw new IllegalArgumentException(data + ": no scored tokens (every label after the first"
                        + " position of each row is -100)");
            }
            PrintWriter out = spec.commandLine().getOut();
            out.printf("loss %.6f%n", score.meanLoss());
            out.printf("perplexity %.4f%n", Math.exp(score.meanLoss()));
            out.printf("tokens %d%n", score.tokens());
            out.flush();
        }
        return 0;
    }

    /**
     * Sum of the per-token losses over all rows. Each batch's mean is weighted by its scored-token count, so
     * the result does not depend on how rows fall into batches (right padding is labelled -100).
     */
    @SuppressWarnings("try") // the no-grad scope is used only for its extent
    static Score score(Gpt2Model gpt2, List<TrainingExample> rows, int batchSize) {
        double sum = 0;
        long tokens = 0;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            for (int start = 0; start < rows.size(); start += batchSize) {
                Batch b = Batch.collate(rows.subList(start, Math.min(rows.size(), start + batchSize)), 0);
                long counted = scoredTokens(b);
                if (counted == 0) {
                    continue; // a batch of fully masked rows adds nothing, and its mean would be 0/0
                }
                float mean = Gpt2Model.causalLmLoss(gpt2.forward(b.inputIds(), b.batch(), b.seq()), b.labels()).item();
                sum += (double) mean * counted;
                tokens += counted;
            }
        }
        return new Score(sum, tokens);
    }

    /** Positions scored by the shifted causal-LM loss: labels at t >= 1 that are not -100. */
    static long scoredTokens(Batch b) {
        long n = 0;
        for (int row = 0; row < b.batch(); row++) {
            for (int t = 1; t < b.seq(); t++) {
                n += b.labels()[row * b.seq() + t] != Batch.IGNORE_INDEX ? 1 : 0;
            }
        }
        return n;
    }

    /** Rows cut to the model's context, as HF's tokenizer(truncation=True, max_length=n_positions). */
    static List<TrainingExample> truncate(List<TrainingExample> rows, int maxLength) {
        List<TrainingExample> out = new ArrayList<>(rows.size());
        for (TrainingExample e : rows) {
            out.add(e.length() <= maxLength ? e : new TrainingExample(Arrays.copyOf(e.inputIds(), maxLength),
                    Arrays.copyOf(e.labels(), maxLength)));
        }
        return out;
    }

    /** A GPT-2 checkpoint on {@code k}, with the adapter in {@code adapterDir} applied when it is not null. */
    static Gpt2Model loadModel(Path modelDir, Path adapterDir, Kernels k) throws IOException {
        Gpt2Model gpt2 = Gpt2Model.fromPretrained(modelDir, k);
        if (adapterDir != null) {
            PeftModel.load(gpt2, k, adapterDir, false); // injects the adapter layers into gpt2 in place
        }
        gpt2.eval();
        return gpt2;
    }
}
