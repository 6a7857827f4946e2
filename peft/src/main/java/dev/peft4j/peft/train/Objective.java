package dev.peft4j.peft.train;

import dev.peft4j.engine.Tensor;

/** What a few-shot run optimises and how it is scored: a task bound to its model and its splits. */
public interface Objective {

    /** Training examples (indices run over 0..trainSize-1). */
    int trainSize();

    /** The mean loss of the training examples {@code indices}, ready for backward. */
    Tensor trainLoss(int[] indices);

    /** Tokens the examples {@code indices} feed through the model (for tokens/s). */
    long tokens(int[] indices);

    /** Whether there is a dev split to evaluate. */
    boolean hasDev();

    /** Scores the dev split (no gradients). */
    Evaluation evaluateDev();

    /** Scores the held-out test split (no gradients). */
    Evaluation evaluateTest();
}
