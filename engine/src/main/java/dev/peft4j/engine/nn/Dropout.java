package dev.peft4j.engine.nn;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.StepScope;
import dev.peft4j.engine.Tensor;

/**
 * Inverted dropout with reproducible masks: each training-mode forward call draws its mask from
 * {@code (baseSeed, call counter)}, so a run replays exactly from the same seed while successive
 * calls still get fresh masks. Identity in eval mode or with p = 0.
 */
public class Dropout extends Module {

    private final float p;
    private final long baseSeed;
    private long calls;

    public Dropout(float p, Rng rng) {
        this(p, rng.nextLong());
    }

    public Dropout(float p, long seed) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("Dropout: p must be in [0, 1), got " + p);
        }
        this.p = p;
        this.baseSeed = seed;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0f) {
            return x;
        }
        return Functional.dropout(x, p, seedFor(calls++), true);
    }

    /**
     * {@link #forward} of a tensor the caller reads no more (a residual branch's output): when a mask applies,
     * the unmasked input goes back to the pool at once ({@link StepScope#release}), as dropout's backward reads
     * only its mask.
     */
    public Tensor forwardLast(Tensor x) {
        Tensor y = forward(x);
        if (y != x) {
            StepScope.release(x);
        }
        return y;
    }

    /** The mask seed of training call number {@code call}: a SplitMix64 step, so nearby calls decorrelate. */
    long seedFor(long call) {
        long z = baseSeed + (call + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Training-mode forward calls so far (each advanced the mask seed). */
    public long calls() {
        return calls;
    }

    public float p() {
        return p;
    }

    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
