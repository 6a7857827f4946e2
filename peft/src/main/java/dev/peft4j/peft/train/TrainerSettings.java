package dev.peft4j.peft.train;

import dev.peft4j.peft.train.OptimizerSettings;

/**
 * How a few-shot run trains.
 *
 * @param evalEvery       dev evaluation every N updates (0 = only at the end)
 * @param patience        stop after this many dev evaluations without improvement (0 = never stop early)
 * @param checkpointEvery checkpoint every N updates (0 = none)
 * @param seed            data order seed
 * @param shuffle         a seeded permutation per epoch (false: data order)
 */
public record TrainerSettings(OptimizerSettings optimizer, int batchSize, int evalEvery, int patience,
                              int checkpointEvery, long seed, boolean shuffle) {

    /** Shuffled every epoch. */
    public TrainerSettings(OptimizerSettings optimizer, int batchSize, int evalEvery, int patience, int checkpointEvery,
                           long seed) {
        this(optimizer, batchSize, evalEvery, patience, checkpointEvery, seed, true);
    }

    public TrainerSettings {
        if (optimizer.totalSteps() <= 0) {
            throw new IllegalArgumentException("training needs at least one step, got " + optimizer.totalSteps());
        }
        if (batchSize <= 0 || evalEvery < 0 || patience < 0 || checkpointEvery < 0) {
            throw new IllegalArgumentException("batch size must be positive and eval/patience/checkpoint intervals"
                    + " >= 0, got batch " + batchSize + ", eval every " + evalEvery + ", patience " + patience
                    + ", checkpoint every " + checkpointEvery);
        }
    }

    /** The same settings with another data-order seed. */
    public TrainerSettings withSeed(long s) {
        return new TrainerSettings(optimizer, batchSize, evalEvery, patience, checkpointEvery, s, shuffle);
    }

    public int totalSteps() {
        return optimizer.totalSteps();
    }

    /** What a checkpoint must have been written under to be resumed by this run. */
    String fingerprint(String extra) {
        return optimizer + " batch=" + batchSize + " eval=" + evalEvery + " patience=" + patience + " seed=" + seed
                + (shuffle ? "" : " no-shuffle")
                + (extra == null ? "" : " " + extra);
    }
}
