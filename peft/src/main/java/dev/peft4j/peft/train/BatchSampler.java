package dev.peft4j.peft.train;

import dev.peft4j.engine.Rng;

import java.util.ArrayList;
import java.util.List;

/**
 * Endless batches over a dataset: epoch after epoch, each a fresh seeded permutation (or file order
 * without shuffle); a batch never spans two epochs, the last one of an epoch may be smaller.
 */
public final class BatchSampler {

    private final List<TrainingExample> data;
    private final int batchSize;
    private final boolean shuffle;
    private final Rng rng;
    private int[] order;
    private int next;

    public BatchSampler(List<TrainingExample> data, int batchSize, boolean shuffle, Rng rng) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        if (data.isEmpty()) {
            throw new IllegalArgumentException("no training examples");
        }
        this.data = List.copyOf(data);
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.rng = rng;
    }

    public List<TrainingExample> next() {
        if (order == null || next >= order.length) {
            order = shuffle ? rng.permutation(data.size()) : identity(data.size());
            next = 0;
        }
        List<TrainingExample> batch = new ArrayList<>();
        while (batch.size() < batchSize && next < order.length) {
            batch.add(data.get(order[next++]));
        }
        return batch;
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }
}
