package dev.peft4j.peft.merge;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.models.gpt2.Gpt2Checkpoint;
import dev.peft4j.models.gpt2.Gpt2Config;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;

/**
 * Scores GPT-2 weights by their held-out causal-LM loss, for the greedy soup: the score is minus the mean token
 * loss over a JSONL dev set ({@code {"text": ...}}, or {@code {"prompt": ..., "completion": ...}} where only the
 * completion's tokens count). One model instance is reused; each call copies the candidate weights into it.
 */
public final class Gpt2DevScorer implements ToDoubleFunction<StateDict> {

    // Causal-mask buffers older HF checkpoints carry beside the weights; they are not parameters.
    private static final Pattern MASK_BUFFER = Pattern.compile("h\\.\\d+\\.attn\\.(bias|masked_bias)");

    /** One tokenised dev example: ids and labels ({@link Gpt2Model#IGNORE_INDEX} where not scored). */
    record Example(int[] ids, int[] labels, int scoredTokens) {
    }

    private final Gpt2Model model;
    private final Map<String, Tensor> parameters;
    private final List<Example> examples;

    private Gpt2DevScorer(Gpt2Model model, List<Example> examples) {
        this.model = model;
        this.parameters = model.namedParameters();
        this.examples = examples;
    }

    /**
     * @param configDir holds the {@code config.json} every candidate shares
     * @param tokenizer encodes the dev set
     */
    public static Gpt2DevScorer load(Path configDir, ByteLevelBpeTokenizer tokenizer, Path devJsonl, Kernels kernels)
            throws IOException {
        Gpt2Config config = Gpt2Checkpoint.readConfig(configDir);
        List<Example> examples = readExamples(devJsonl, tokenizer, config.nPositions());
        return new Gpt2DevScorer(new Gpt2Model(config, kernels, null), examples);
    }

    /** Number of tokens the loss is averaged over. */
    public long scoredTokens() {
        return examples.stream().mapToLong(Example::scoredTokens).sum();
    }

    /** Minus the token-weighted mean loss of {@code weights} on the dev set: higher is better. */
    @Override
    public double applyAsDouble(StateDict weights) {
        return -meanLoss(weights);
    }

    public double meanLoss(StateDict weights) {
        copyIntoModel(weights);
        double total = 0;
        try (var ignored = Autograd.noGrad()) {
            for (Example e : examples) {
                total += model.loss(e.ids, e.labels, 1, e.ids.length).item() * (double) e.scoredTokens;
            }
        }
        return total / scoredTokens();
    }

    private void copyIntoModel(StateDict weights) {
        Set<String> filled = new HashSet<>();
        for (HostTensor t : weights.tensors()) {
            String name = t.name().startsWith(Gpt2Checkpoint.PREFIX)
                    ? t.name().substring(Gpt2Checkpoint.PREFIX.length()) : t.name();
            if (MASK_BUFFER.matcher(name).matches()
                    || (name.equals(Gpt2Checkpoint.LM_HEAD) && model.config().tieWordEmbeddings())) {
                continue;
            }
            Tensor p = parameters.get(name);
            if (p == null) {
                throw new IllegalArgumentException(weights.source() + ": tensor \"" + t.name()
                        + "\" is not a parameter of the GPT-2 that config.json describes");
            }
            if (!Arrays.equals(p.shape(), t.shape())) {
                throw new IllegalArgumentException(weights.source() + ": tensor \"" + t.name() + "\" has shape "
                        + Arrays.toString(t.shape()) + " but config.json implies " + Arrays.toString(p.shape()));
            }
            p.copyFrom(t.data());
            filled.add(name);
        }
        if (filled.size() != parameters.size()) {
            List<String> missing = new ArrayList<>(parameters.keySet());
            missing.removeAll(filled);
            throw new IllegalArgumentException(weights.source() + " lacks GPT-2 parameter(s) " + missing);
        }
    }

    static List<Example> readExamples(Path devJsonl, ByteLevelBpeTokenizer tokenizer, int maxTokens)
            throws IOException {
        List<Example> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(devJsonl);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = devJsonl + " line " + (i + 1);
            Map<String, Object> row = Json.object(Json.parse(line, where), where);
            Example e = row.containsKey("text")
                    ? example(tokenizer.encode(Json.string(row.get("text"), where + " \"text\"")), 0, maxTokens)
                    : promptCompletion(row, tokenizer, maxTokens, where);
            if (e.scoredTokens > 0) {
                out.add(e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(devJsonl + ": no example with at least two tokens to score");
        }
        return out;
    }

    private static Example promptCompletion(Map<String, Object> row, ByteLevelBpeTokenizer tokenizer, int maxTokens,
                                            String where) {
        int[] prompt = tokenizer.encode(Json.string(Json.require(row, "prompt", where), where + " \"prompt\""));
        int[] completion = tokenizer.encode(Json.string(Json.require(row, "completion", where),
                where + " \"completion\""));
        int[] ids = Arrays.copyOf(prompt, prompt.length + completion.length);
        System.arraycopy(completion, 0, ids, prompt.length, completion.length);
        return example(ids, prompt.length, maxTokens);
    }

    /** Truncates to {@code maxTokens}; positions before {@code firstScored} are not scored. */
    private static Example example(int[] ids, int firstScored, int maxTokens) {
        int[] kept = Arrays.copyOf(ids, Math.min(ids.length, maxTokens));
        int[] labels = kept.clone();
        int scored = 0;
        for (int t = 0; t < labels.length; t++) {
            if (t < firstScored) {
                labels[t] = Gpt2Model.IGNORE_INDEX;
            } else if (t > 0) {
                scored++; // position 0 is never a target of the shifted loss
            }
        }
        return new Example(kept, labels, kept.length < 2 ? 0 : scored);
    }
}
