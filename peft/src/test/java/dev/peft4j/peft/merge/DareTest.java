package dev.peft4j.peft.merge;

import dev.peft4j.engine.Rng;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DareTest {

    private static final float[] DELTA = {0.5f, -1.25f, 3f, 0f, -0.125f, 2f, 0.75f, -4f};

    @Test
    void survivorsAreRescaledExactly() {
        // With p = 0.75 every survivor is multiplied by exactly 4 (a power of two, so no rounding).
        float[] out = Dare.dropAndRescale(DELTA, 0.75, new Rng(7));
        int survivors = 0;
        for (int i = 0; i < DELTA.length; i++) {
            assertTrue(out[i] == 0f || out[i] == 4 * DELTA[i], "entry " + i + ": " + out[i]);
            survivors += out[i] != 0 ? 1 : 0;
        }
        assertTrue(survivors < DELTA.length - 1, "p = 0.75 should drop most entries, kept " + survivors);
    }

    @Test
    void expectationIsPreservedOverSeeds() {
        int draws = 20_000;
        double p = 0.6;
        double[] sum = new double[DELTA.length];
        for (int seed = 0; seed < draws; seed++) {
            float[] out = Dare.dropAndRescale(DELTA, p, new Rng(seed));
            for (int i = 0; i < sum.length; i++) {
                sum[i] += out[i];
            }
        }
        for (int i = 0; i < sum.length; i++) {
            // std of one draw is |d|·sqrt(p/(1−p)); five standard errors of the mean.
            double tolerance = 5 * Math.abs(DELTA[i]) * Math.sqrt(p / (1 - p)) / Math.sqrt(draws) + 1e-9;
            assertEquals(DELTA[i], sum[i] / draws, tolerance, "entry " + i);
        }
    }

    @Test
    void dropFractionMatchesTheRate() {
        float[] ones = new float[50_000];
        Arrays.fill(ones, 1f);
        float[] out = Dare.dropAndRescale(ones, 0.3, new Rng(1));
        int dropped = 0;
        for (float v : out) {
            dropped += v == 0 ? 1 : 0;
        }
        assertEquals(0.3, dropped / (double) ones.length, 0.01);
    }

    @Test
    void seededMergesAreReproducible() {
        StateDict base = Dicts.random("base", 1);
        List<StateDict> models = List.of(Dicts.random("m1", 2), Dicts.random("m2", 3));
        StateDict a = Dare.merge(base, models, 0.5, 42, Dare.Combine.LINEAR, 1.0);
        StateDict b = Dare.merge(base, models, 0.5, 42, Dare.Combine.LINEAR, 1.0);
        StateDict c = Dare.merge(base, models, 0.5, 43, Dare.Combine.LINEAR, 1.0);
        assertArrayEquals(a.get("a.weight").data(), b.get("a.weight").data());
        assertFalse(Arrays.equals(a.get("a.weight").data(), c.get("a.weight").data()),
                "another seed should draw other masks");
    }

    @Test
    void noDropReducesToTaskArithmeticAndTies() {
        StateDict base = Dicts.random("base", 1);
        List<StateDict> models = List.of(Dicts.random("m1", 2), Dicts.random("m2", 3), Dicts.random("m3", 4));
        StateDict linear = Dare.merge(base, models, 0.0, 5, Dare.Combine.LINEAR, 0.7);
        StateDict arithmetic = TaskArithmetic.merge(base, models, 0.7);
        StateDict ties = Dare.merge(base, models, 0.0, 5, Dare.Combine.TIES, 0.7);
        StateDict plainTies = Ties.merge(base, models, 1.0, 0.7);
        for (String name : base.names()) {
            assertArrayEquals(arithmetic.get(name).data(), linear.get(name).data(), 1e-6f, name);
            assertArrayEquals(plainTies.get(name).data(), ties.get(name).data(), 1e-6f, name);
        }
    }

    @Test
    void rejectsADropRateOfOne() {
        assertThrows(IllegalArgumentException.class, () -> Dare.dropAndRescale(DELTA, 1.0, new Rng(0)));
    }
}
