package dev.peft4j.peft.merge;

import java.util.Arrays;
import java.util.List;

/**
 * TIES-merging (Yadav et al.): per tensor, (1) trim each task vector to its top-{@code density} fraction by
 * magnitude, (2) elect a sign per entry — the sign of the summed trimmed deltas, i.e. the side with the larger
 * total magnitude — and (3) average only the nonzero entries that agree with it (the disjoint mean); the base
 * then moves by λ times that mean.
 */
public final class Ties {

    private Ties() {
    }

    public static StateDict merge(StateDict base, List<StateDict> fineTuned, double density, double lambda) {
        TaskVectors.requireBase("TIES", base);
        requireDensity(density);
        return TensorwiseMerger.merge("ties(density=" + density + ", lambda=" + lambda + ")", base, fineTuned,
                (name, w0, models) -> TaskVectors.addScaled(w0,
                        mergeDeltas(TaskVectors.deltas(w0, models), density), lambda));
    }

    /** Trim, elect, disjoint mean over already computed task vectors (density 1 skips the trim). */
    public static double[] mergeDeltas(float[][] deltas, double density) {
        float[][] trimmed = new float[deltas.length][];
        for (int t = 0; t < deltas.length; t++) {
            trimmed[t] = trimToTopMagnitude(deltas[t], density);
        }
        return disjointMean(trimmed, electSigns(trimmed));
    }

    /**
     * Keeps the k = round(density·n) largest-magnitude entries and zeroes the rest. Entries tied with the k-th
     * magnitude are kept in index order until k are kept, so exactly k survive.
     */
    public static float[] trimToTopMagnitude(float[] delta, double density) {
        requireDensity(density);
        int n = delta.length;
        int k = (int) Math.round(density * n);
        if (k >= n) {
            return delta.clone();
        }
        float[] out = new float[n];
        if (k == 0) {
            return out;
        }
        float[] magnitudes = new float[n];
        for (int i = 0; i < n; i++) {
            magnitudes[i] = Math.abs(delta[i]);
        }
        Arrays.sort(magnitudes);
        float threshold = magnitudes[n - k];
        int above = 0;
        for (float m : magnitudes) {
            above += m > threshold ? 1 : 0;
        }
        int tiesToKeep = k - above;
        for (int i = 0; i < n; i++) {
            float m = Math.abs(delta[i]);
            if (m > threshold || (m == threshold && tiesToKeep-- > 0)) {
                out[i] = delta[i];
            }
        }
        return out;
    }

    /** Per entry: +1, −1, or 0 (when the deltas sum to zero), the sign of Σₜ deltaₜ. */
    public static float[] electSigns(float[][] deltas) {
        int n = deltas[0].length;
        float[] signs = new float[n];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (float[] d : deltas) {
                sum += d[i];
            }
            signs[i] = (float) Math.signum(sum);
        }
        return signs;
    }

    /** Per entry: the mean of the deltas whose sign equals the elected one; 0 where none does. */
    public static double[] disjointMean(float[][] deltas, float[] signs) {
        int n = signs.length;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            int count = 0;
            for (float[] d : deltas) {
                if (signs[i] != 0 && Math.signum(d[i]) == signs[i]) {
                    sum += d[i];
                    count++;
                }
            }
            out[i] = count == 0 ? 0 : sum / count;
        }
        return out;
    }

    static void requireDensity(double density) {
        if (!(density > 0 && density <= 1)) {
            throw new IllegalArgumentException("TIES: density (the fraction of each task vector kept) must be in (0, 1], got "
                    + density);
        }
    }
}
