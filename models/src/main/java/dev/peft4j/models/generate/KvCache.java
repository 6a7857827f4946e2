package dev.peft4j.models.generate;

/** Keys and values of the tokens a causal model has already seen, so each new token costs one position. */
public interface KvCache {

    /** Number of positions already cached. */
    int length();

    /** The most positions the model can attend over. */
    int capacity();
}
