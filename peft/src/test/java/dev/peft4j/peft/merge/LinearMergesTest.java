package dev.peft4j.peft.merge;

import dev.peft4j.engine.io.HostTensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WiSE-FT, uniform soup, task arithmetic, and the shape/key checks all merges share. */
class LinearMergesTest {

    private static final StateDict ZERO_SHOT = Dicts.single("zs", "w", 1f, -2f, 4f);
    private static final StateDict FINE_TUNED = Dicts.single("ft", "w", 3f, 2f, 0f);

    @Test
    void wiseEndpointsAndMidpoint() {
        assertArrayEquals(ZERO_SHOT.get("w").data(), WiseFt.interpolate(ZERO_SHOT, FINE_TUNED, 0).get("w").data());
        assertArrayEquals(FINE_TUNED.get("w").data(), WiseFt.interpolate(ZERO_SHOT, FINE_TUNED, 1).get("w").data());
        assertArrayEquals(new float[]{2f, 0f, 2f}, WiseFt.interpolate(ZERO_SHOT, FINE_TUNED, 0.5).get("w").data());
        assertArrayEquals(new float[]{1.5f, -1f, 3f}, WiseFt.interpolate(ZERO_SHOT, FINE_TUNED, 0.25).get("w").data());
    }

    @Test
    void uniformSoupIsTheMean() {
        StateDict third = Dicts.single("m3", "w", 2f, 3f, 5f);
        assertArrayEquals(new float[]{2f, 1f, 3f},
                UniformSoup.average(List.of(ZERO_SHOT, FINE_TUNED, third)).get("w").data(), 1e-6f);
    }

    @Test
    void taskArithmeticAddsScaledTaskVectors() {
        StateDict base = Dicts.single("base", "w", 1f, 1f, 1f);
        StateDict a = Dicts.single("a", "w", 2f, 1f, 0f); // τ = (1, 0, −1)
        StateDict b = Dicts.single("b", "w", 1f, 3f, 0f); // τ = (0, 2, −1)
        assertArrayEquals(new float[]{1.5f, 2f, 0f}, TaskArithmetic.merge(base, List.of(a, b), 0.5).get("w").data(),
                1e-6f);
    }

    @Test
    void differentShapesAreNamed() {
        StateDict other = new StateDict("other.safetensors", List.of(new HostTensor("w", new float[4], 2, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WiseFt.interpolate(ZERO_SHOT, other, 0.5));
        assertTrue(e.getMessage().contains("\"w\"") && e.getMessage().contains("[3]")
                && e.getMessage().contains("[2, 2]") && e.getMessage().contains("other.safetensors")
                && e.getMessage().contains("zs"), e.getMessage());
    }

    @Test
    void differentKeySetsAreNamed() {
        StateDict renamed = Dicts.single("renamed.safetensors", "v", 1f, 2f, 3f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> UniformSoup.average(List.of(ZERO_SHOT, renamed)));
        assertTrue(e.getMessage().contains("renamed.safetensors") && e.getMessage().contains("[w]"), e.getMessage());

        StateDict extra = new StateDict("extra.safetensors", List.of(new HostTensor("w", new float[3], 3),
                new HostTensor("x", new float[1], 1)));
        e = assertThrows(IllegalArgumentException.class, () -> UniformSoup.average(List.of(ZERO_SHOT, extra)));
        assertTrue(e.getMessage().contains("extra.safetensors") && e.getMessage().contains("[x]"), e.getMessage());
    }
}
