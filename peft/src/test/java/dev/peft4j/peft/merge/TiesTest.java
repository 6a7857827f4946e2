package dev.peft4j.peft.merge;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TiesTest {

    // Three task vectors over six entries; density 0.5 keeps three entries of each.
    private static final float[] T1 = {0.5f, -0.2f, 0.1f, 0.0f, -0.9f, 0.3f};
    private static final float[] T2 = {0.4f, 0.3f, -0.6f, 0.2f, 0.1f, -0.05f};
    private static final float[] T3 = {-0.45f, 0.4f, -0.2f, -0.7f, 0.2f, 0.25f};

    @Test
    void trimKeepsTheLargestMagnitudes() {
        assertArrayEquals(new float[]{0.5f, 0, 0, 0, -0.9f, 0.3f}, Ties.trimToTopMagnitude(T1, 0.5));
        assertArrayEquals(new float[]{0.4f, 0.3f, -0.6f, 0, 0, 0}, Ties.trimToTopMagnitude(T2, 0.5));
        assertArrayEquals(new float[]{-0.45f, 0.4f, 0, -0.7f, 0, 0}, Ties.trimToTopMagnitude(T3, 0.5));
    }

    @Test
    void trimKeepsExactlyKWhenMagnitudesTie() {
        float[] trimmed = Ties.trimToTopMagnitude(new float[]{1, -1, 1, -1, 2}, 0.6); // k = 3
        assertArrayEquals(new float[]{1, -1, 0, 0, 2}, trimmed);
    }

    @Test
    void signElectionAndDisjointMean() {
        float[][] trimmed = {Ties.trimToTopMagnitude(T1, 0.5), Ties.trimToTopMagnitude(T2, 0.5),
                Ties.trimToTopMagnitude(T3, 0.5)};
        // Column sums: 0.45, 0.7, -0.6, -0.7, -0.9, 0.3.
        assertArrayEquals(new float[]{1, 1, -1, -1, -1, 1}, Ties.electSigns(trimmed));
        // Entry 0: 0.5 and 0.4 agree with "+", −0.45 is left out: (0.5 + 0.4)/2. Entry 1: (0.3 + 0.4)/2.
        // Entries 2-5: one surviving agreeing value each; trimmed zeros do not dilute the mean.
        double[] merged = Ties.disjointMean(trimmed, Ties.electSigns(trimmed));
        assertArrayEquals(new double[]{0.45, 0.35, -0.6, -0.7, -0.9, 0.3}, merged, 1e-6);
    }

    @Test
    void mergeMovesTheBaseByLambdaTimesTheMean() {
        float[] base = {1, 2, 3, 4, 5, 6};
        List<StateDict> models = List.of(Dicts.single("m1", "w", add(base, T1)), Dicts.single("m2", "w", add(base, T2)),
                Dicts.single("m3", "w", add(base, T3)));
        StateDict merged = Ties.merge(Dicts.single("base", "w", base), models, 0.5, 2.0);
        double[] expected = {0.45, 0.35, -0.6, -0.7, -0.9, 0.3};
        float[] out = merged.get("w").data();
        for (int i = 0; i < base.length; i++) {
            assertEquals(base[i] + 2 * expected[i], out[i], 1e-5, "entry " + i);
        }
    }

    @Test
    void cancellingDeltasElectNoSign() {
        float[][] deltas = {{1f, 2f}, {-1f, 1f}};
        assertArrayEquals(new float[]{0, 1}, Ties.electSigns(deltas));
        assertArrayEquals(new double[]{0, 1.5}, Ties.disjointMean(deltas, Ties.electSigns(deltas)), 1e-12);
    }

    @Test
    void rejectsABadDensity() {
        assertThrows(IllegalArgumentException.class, () -> Ties.trimToTopMagnitude(T1, 0));
        assertThrows(IllegalArgumentException.class, () -> Ties.trimToTopMagnitude(T1, 1.5));
    }

    private static float[] add(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }
}
