package dev.peft4j.models.generate;

import dev.peft4j.engine.Tensor;

/** What {@link Generator} needs from a decoder-only model. */
public interface CausalLanguageModel {

    /**
     * Logits [batch, seq, vocab] for token ids [batch, seq] (row-major) that follow the positions already in
     * {@code cache}; the cache (null for none) is extended by {@code seq} positions.
     */
    Tensor forward(int[] ids, int batch, int seq, KvCache cache);

    /** An empty cache for {@code batch} sequences. */
    KvCache newKvCache(int batch);

    /** The longest sequence the model accepts (its number of positions). */
    int maxPositions();
}
