package dev.peft4j.models.generate;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Tensor;

import java.util.Arrays;

/**
 * Autoregressive decoding for one sequence. With a KV cache the prompt is run once and each new token
 * costs one position; without, the whole sequence is re-run every step (the reference the cached path is
 * tested against). No autograd graph is recorded.
 */
public final class Generator {

    private final CausalLanguageModel model;

    public Generator(CausalLanguageModel model) {
        this.model = model;
    }

    /** The prompt followed by up to {@code config.maxNewTokens()} generated ids. */
    @SuppressWarnings("try") // the no-grad scope is used only for its extent
    public int[] generate(int[] prompt, GenerationConfig config, boolean useCache) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("generate: the prompt is empty");
        }
        if (prompt.length + config.maxNewTokens() > model.maxPositions()) {
            throw new IllegalArgumentException("generate: prompt " + prompt.length + " + " + config.maxNewTokens()
                    + " new tokens exceed the model's " + model.maxPositions() + " positions");
        }
        TokenSampler sampler = new TokenSampler(config);
        int[] out = Arrays.copyOf(prompt, prompt.length + config.maxNewTokens());
        int length = prompt.length;
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            KvCache cache = useCache ? model.newKvCache(1) : null;
            int[] feed = prompt;
            while (length < out.length) {
                Tensor logits = useCache
                        ? model.forward(feed, 1, feed.length, cache)
                        : model.forward(Arrays.copyOf(out, length), 1, length, null);
                int next = sampler.next(lastRow(logits));
                out[length++] = next;
                if (next == config.eosTokenId()) {
                    break;
                }
                feed = new int[]{next};
            }
        }
        return Arrays.copyOf(out, length);
    }

    /** The logits of the last position of a [1, T, V] tensor. */
    static float[] lastRow(Tensor logits) {
        int t = logits.dim(1);
        return logits.slice(1, t - 1, t).toArray();
    }
}
