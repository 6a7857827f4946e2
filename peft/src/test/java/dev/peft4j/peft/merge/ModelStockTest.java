package dev.peft4j.peft.merge;

import dev.peft4j.engine.io.HostTensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelStockTest {

    private static final StateDict BASE = Dicts.single("base", "w", 1f, 2f);

    @Test
    void orthogonalDeltasKeepTheBase() {
        StateDict a = Dicts.single("a", "w", 2f, 2f); // delta (1, 0)
        StateDict b = Dicts.single("b", "w", 1f, 5f); // delta (0, 3)
        ModelStock.Result r = ModelStock.merge(BASE, List.of(a, b));
        assertEquals(0.0, r.ratios().get("w"), 1e-12);
        assertArrayEquals(new float[]{1f, 2f}, r.merged().get("w").data());
    }

    @Test
    void parallelDeltasGiveTheAverage() {
        StateDict a = Dicts.single("a", "w", 2f, 3f); // delta (1, 1)
        StateDict b = Dicts.single("b", "w", 4f, 5f); // delta (3, 3): same direction, other length
        ModelStock.Result r = ModelStock.merge(BASE, List.of(a, b));
        assertEquals(1.0, r.ratios().get("w"), 1e-12);
        assertArrayEquals(new float[]{3f, 4f}, r.merged().get("w").data(), 1e-6f);
    }

    @Test
    void sixtyDegreesGivesTwoThirds() {
        // Deltas (2, 0) and (1, √3) meet at 60°: cos = 1/2, t = 2·½ / (1 + ½) = 2/3.
        float s3 = (float) Math.sqrt(3);
        StateDict a = Dicts.single("a", "w", 3f, 2f);
        StateDict b = Dicts.single("b", "w", 2f, 2f + s3);
        ModelStock.Result r = ModelStock.merge(BASE, List.of(a, b));
        assertEquals(2.0 / 3.0, r.ratios().get("w"), 1e-6);
        // average = (2.5, 2 + √3/2); merged = base + 2/3·(average − base) = (1 + 1, 2 + √3/3)
        float[] merged = r.merged().get("w").data();
        assertEquals(2.0, merged[0], 1e-6);
        assertEquals(2.0 + Math.sqrt(3) / 3, merged[1], 1e-6);
    }

    @Test
    void threeModelsUseTheGeneralisedRatio() {
        // Deltas (1,1,0), (1,0,1), (0,1,1): every pair has cos = 1/2, so t = 3·½ / (1 + 2·½) = 3/4.
        StateDict base = Dicts.single("base", "w", 0f, 0f, 0f);
        List<StateDict> models = List.of(Dicts.single("a", "w", 1f, 1f, 0f), Dicts.single("b", "w", 1f, 0f, 1f),
                Dicts.single("c", "w", 0f, 1f, 1f));
        ModelStock.Result r = ModelStock.merge(base, models);
        assertEquals(0.75, r.ratios().get("w"), 1e-12);
        // average is (2/3, 2/3, 2/3); times 3/4 gives 1/2 each
        assertArrayEquals(new float[]{0.5f, 0.5f, 0.5f}, r.merged().get("w").data(), 1e-6f);
    }

    @Test
    void ratioFormula() {
        assertEquals(2.0 / 3.0, ModelStock.ratio(0.5, 2), 1e-15);
        assertEquals(1.0, ModelStock.ratio(1.0, 5), 1e-15);
        assertEquals(0.0, ModelStock.ratio(-0.3, 2), 0.0, "opposed fine-tunes fall back to the base");
        assertEquals(5 * 0.2 / (1 + 4 * 0.2), ModelStock.ratio(0.2, 5), 1e-15);
    }

    @Test
    void ratiosArePerTensor() {
        StateDict base = new StateDict("base", List.of(new HostTensor("p", new float[]{0, 0}, 2),
                new HostTensor("q", new float[]{0, 0}, 2)));
        StateDict a = new StateDict("a", List.of(new HostTensor("p", new float[]{1, 0}, 2),
                new HostTensor("q", new float[]{1, 1}, 2)));
        StateDict b = new StateDict("b", List.of(new HostTensor("p", new float[]{0, 1}, 2),
                new HostTensor("q", new float[]{2, 2}, 2)));
        ModelStock.Result r = ModelStock.merge(base, List.of(a, b));
        assertEquals(0.0, r.ratios().get("p"), 1e-12);
        assertEquals(1.0, r.ratios().get("q"), 1e-12);
    }

    @Test
    void needsTwoModelsAndABase() {
        assertThrows(IllegalArgumentException.class, () -> ModelStock.merge(BASE, List.of(BASE)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelStock.merge(null, List.of(BASE, BASE)));
        assertTrue(e.getMessage().contains("base"), e.getMessage());
    }
}
