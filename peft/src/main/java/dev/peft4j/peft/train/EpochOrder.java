package dev.peft4j.peft.train;

import dev.peft4j.engine.Rng;

/**
 * The order training examples are visited in: epoch after epoch, each a permutation drawn from
 * {@code (seed, epoch)} alone, so the position {@code (epoch, next)} is the whole state a checkpoint
 * needs to replay the same batches (without shuffling, every epoch is the data order). A batch never spans two epochs; an epoch's last batch may be smaller.
 */
public final class EpochOrder {

    private final long seed;
    private final int size;
    private final int batchSize;
    private int epoch;
    private int next;
    private final boolean shuffle;
    private int[] order;

    public EpochOrder(long seed, int size, int batchSize, boolean shuffle) {
        if (size <= 0 || batchSize <= 0) {
            throw new IllegalArgumentException("need examples and a positive batch size, got " + size + " examples, batch "
                    + batchSize);
        }
        this.seed = seed;
        this.size = size;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.order = permutation(0);
    }

    /** The indices of the next batch. */
    public int[] next() {
        if (next >= size) {
            epoch++;
            next = 0;
            order = permutation(epoch);
        }
        int n = Math.min(batchSize, size - next);
        int[] batch = new int[n];
        System.arraycopy(order, next, batch, 0, n);
        next += n;
        return batch;
    }

    /** Epochs started so far minus one (0 during the first). */
    public int epoch() {
        return epoch;
    }

    /** Examples of the current epoch already handed out. */
    public int position() {
        return next;
    }

    /** Moves to a saved position. */
    public void seek(int epoch, int position) {
        if (epoch < 0 || position < 0 || position > size) {
            throw new IllegalArgumentException("cannot seek to epoch " + epoch + ", position " + position + " of "
                    + size + " examples");
        }
        this.epoch = epoch;
        this.next = position;
        this.order = permutation(epoch);
    }

    /** Batches per epoch. */
    public int batchesPerEpoch() {
        return (size + batchSize - 1) / batchSize;
    }

    private int[] permutation(int e) {
        if (!shuffle) {
            int[] identity = new int[size];
            for (int i = 0; i < size; i++) {
                identity[i] = i;
            }
            return identity;
        }
        return new Rng(seed * 0x9E3779B97F4A7C15L + e).permutation(size);
    }
}
