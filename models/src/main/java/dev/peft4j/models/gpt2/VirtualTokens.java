package dev.peft4j.models.gpt2;

import dev.peft4j.engine.Tensor;

/**
 * Positions a model places before the input of every fresh sequence (an empty or absent KV cache): either
 * extra input embeddings (they become positions of the sequence, so the model's outputs include them) or
 * per-layer keys and values every real position attends to (outputs cover the input alone). Either way the
 * virtual positions take position ids 0..n-1 and the input starts at n, as Hugging Face does for
 * {@code inputs_embeds} concatenation and for a {@code past_key_values} prefix.
 *
 * <p>The model finds it on its token embedding: an {@code Embedding} at {@code wte} that also implements
 * this interface (prompt and prefix tuning install one). Models know nothing of who does.
 */
public interface VirtualTokens {

    /** The number of virtual positions now (0: none, e.g. nothing active). */
    int virtualTokenCount();

    /** Embeddings [batch, n, n_embd] placed before the input's, or null when this supplies keys and values. */
    Tensor virtualEmbeddings(int batch);

    /**
     * Keys and values {@code {k, v}}, each [batch, heads, n, headDim], that layer {@code layer} attends to
     * before the input's; asked for only when {@link #virtualEmbeddings} is null, and then for every layer.
     */
    Tensor[] virtualKeyValues(int layer, int batch, int heads, int headDim);
}
