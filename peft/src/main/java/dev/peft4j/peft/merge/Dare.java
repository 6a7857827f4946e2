package dev.peft4j.peft.merge;

import dev.peft4j.engine.Rng;

import java.util.List;

/**
 * DARE (Yu et al., "Language Models are Super Mario"): drop each entry of a task vector with probability p and
 * scale the survivors by 1/(1−p), which keeps every entry's expectation. The sparsified task vectors are then
 * combined linearly (θ₀ + λ·Σ τᵢ) or by TIES' sign election and disjoint mean.
 *
 * <p>The random masks are reproducible: each tensor draws from a stream seeded by the seed and the tensor's
 * name, so a tensor's mask does not depend on which other tensors the file holds.
 */
public final class Dare {

    /** How the sparsified task vectors are combined. */
    public enum Combine { LINEAR, TIES }

    private Dare() {
    }

    public static StateDict merge(StateDict base, List<StateDict> fineTuned, double dropRate, long seed,
                                  Combine combine, double lambda) {
        TaskVectors.requireBase("DARE", base);
        requireDropRate(dropRate);
        String label = "dare-" + combine.name().toLowerCase() + "(drop=" + dropRate + ", lambda=" + lambda
                + ", seed=" + seed + ")";
        return TensorwiseMerger.merge(label, base, fineTuned, (name, w0, models) -> {
            float[][] deltas = TaskVectors.deltas(w0, models);
            Rng rng = tensorRng(seed, name);
            for (int t = 0; t < deltas.length; t++) {
                deltas[t] = dropAndRescale(deltas[t], dropRate, rng);
            }
            double[] merged = combine == Combine.TIES ? Ties.mergeDeltas(deltas, 1.0) : TaskArithmetic.sum(deltas);
            return TaskVectors.addScaled(w0, merged, lambda);
        });
    }

    /** Each entry zeroed with probability {@code dropRate}, survivors multiplied by 1/(1 − dropRate). */
    public static float[] dropAndRescale(float[] delta, double dropRate, Rng rng) {
        requireDropRate(dropRate);
        double keep = 1 - dropRate;
        float[] out = new float[delta.length];
        for (int i = 0; i < delta.length; i++) {
            if (rng.nextDouble() < keep) {
                out[i] = (float) (delta[i] / keep);
            }
        }
        return out;
    }

    static Rng tensorRng(long seed, String tensorName) {
        return new Rng(seed * 0x9E3779B97F4A7C15L + tensorName.hashCode());
    }

    static void requireDropRate(double dropRate) {
        if (!(dropRate >= 0 && dropRate < 1)) {
            throw new IllegalArgumentException("DARE: the drop rate must be in [0, 1), got " + dropRate);
        }
    }
}
