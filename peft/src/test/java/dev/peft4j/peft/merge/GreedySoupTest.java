package dev.peft4j.peft.merge;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GreedySoupTest {

    /** Higher is better: minus the squared distance to a hidden optimum at 0. */
    private static final ToDoubleFunction<StateDict> SCORE = sd -> -Math.pow(sd.get("w").data()[0], 2);

    @Test
    void skipsAModelThatHurtsTheSoup() {
        // Individual scores: m0 −1, m1 −1.44, m2 −1.21, so the order is m0, m2, m1.
        // m0+m2 averages to 1.05 (score −1.1025 < −1: skipped); m0+m1 averages to −0.1 (−0.01: kept).
        List<StateDict> models = List.of(Dicts.single("m0", "w", 1f), Dicts.single("m1", "w", -1.2f),
                Dicts.single("m2", "w", 1.1f));
        List<StateDict> scored = new ArrayList<>();
        GreedySoup.Result r = GreedySoup.cook(models, sd -> {
            scored.add(sd);
            return SCORE.applyAsDouble(sd);
        });
        assertEquals(List.of(0, 1), r.ingredients());
        assertArrayEquals(new double[]{-1, -1.44, -1.21}, r.individualScores(), 1e-6);
        assertEquals(-0.1f, r.soup().get("w").data()[0], 1e-6f);
        assertEquals(-0.01, r.soupScore(), 1e-6);
        assertEquals(2, r.steps().size());
        assertEquals(2, r.steps().get(0).model());
        assertFalse(r.steps().get(0).kept());
        assertTrue(r.steps().get(1).kept());
        assertEquals(5, scored.size(), "three models plus two candidate soups");
        // The greedy soup beats the uniform soup of all three here: (1 + 1.1 − 1.2)/3 = 0.3 scores −0.09.
        assertTrue(r.soupScore() > SCORE.applyAsDouble(UniformSoup.average(models)));
    }

    @Test
    void oneModelIsItsOwnSoup() {
        StateDict only = Dicts.single("only", "w", 0.5f);
        GreedySoup.Result r = GreedySoup.cook(List.of(only), SCORE);
        assertEquals(List.of(0), r.ingredients());
        assertArrayEquals(only.get("w").data(), r.soup().get("w").data());
    }

    @Test
    void anEqualScoreIsKept() {
        // "Does not drop" admits ties: two equal models average to the same weights and the same score.
        List<StateDict> models = List.of(Dicts.single("m0", "w", 0.5f), Dicts.single("m1", "w", 0.5f));
        GreedySoup.Result r = GreedySoup.cook(models, SCORE);
        assertEquals(List.of(0, 1), r.ingredients());
    }
}
