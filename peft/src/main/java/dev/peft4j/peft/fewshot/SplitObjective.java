package dev.peft4j.peft.fewshot;

import dev.peft4j.peft.train.Evaluation;
import dev.peft4j.peft.train.Objective;

import java.util.ArrayList;
import java.util.List;

/** What every few-shot objective shares: its encoded train/dev/test rows and the bookkeeping over them. */
abstract class SplitObjective<E> implements Objective {

    protected final List<E> train;
    protected final List<E> dev;
    protected final List<E> test;
    protected final int padId;
    protected final int evalBatch;

    SplitObjective(List<E> train, List<E> dev, List<E> test, int padId, int evalBatch) {
        this.train = train;
        this.dev = dev;
        this.test = test;
        this.padId = padId;
        this.evalBatch = Math.max(1, evalBatch);
    }

    /** Token count of one encoded row (for tokens/s). */
    protected abstract int length(E example);

    /** Loss (and accuracy where it applies) over encoded rows; NaN and count 0 for none. */
    protected abstract Evaluation evaluate(List<E> examples);

    /** The training rows at {@code indices}, in that order. */
    protected final List<E> trainBatch(int[] indices) {
        List<E> batch = new ArrayList<>(indices.length);
        for (int i : indices) {
            batch.add(train.get(i));
        }
        return batch;
    }

    @Override
    public int trainSize() {
        return train.size();
    }

    @Override
    public long tokens(int[] indices) {
        long n = 0;
        for (int i : indices) {
            n += length(train.get(i));
        }
        return n;
    }

    @Override
    public boolean hasDev() {
        return !dev.isEmpty();
    }

    @Override
    public Evaluation evaluateDev() {
        return evaluate(dev);
    }

    @Override
    public Evaluation evaluateTest() {
        return evaluate(test);
    }
}
