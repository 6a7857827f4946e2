package dev.peft4j.engine.optim;

import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.peft4j.engine.optim.OptimizerFixtureTest.setGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerBehaviourTest {

    private static Kernels k;

    @BeforeAll
    static void open() {
        k = new CpuKernels();
    }

    @AfterAll
    static void close() {
        k.close();
    }

    private static Tensor param(float... values) {
        return Tensor.of(k, values, values.length).requiresGrad(true);
    }

    @Test
    void clipScalesAllGradsByOneFactorWhenAboveMax() {
        Tensor a = param(0, 0);
        Tensor b = param(0);
        Tensor none = param(9);
        setGrad(a, new float[] {3, 0});
        setGrad(b, new float[] {4});
        double total = GradClip.clipGlobalNorm(List.of(a, b, none), 1.0);
        assertEquals(5.0, total, 1e-12);
        double coef = 1.0 / (5.0 + 1e-6);
        assertArrayEquals(new float[] {(float) (3 * coef), 0}, a.grad().toArray(), 1e-7f);
        assertArrayEquals(new float[] {(float) (4 * coef)}, b.grad().toArray(), 1e-7f);
        assertNull(none.grad());
        // below the max nothing changes
        assertEquals(5.0 * coef, GradClip.clipGlobalNorm(List.of(a, b), 2.0), 1e-6);
        assertArrayEquals(new float[] {(float) (4 * coef)}, b.grad().toArray(), 0f);
        assertThrows(IllegalArgumentException.class, () -> GradClip.clipGlobalNorm(List.of(a), 0));
    }

    @Test
    void adamWCountsStepsPerParameterAndSkipsThoseWithoutGrad() {
        Tensor a = param(1, 2);
        Tensor b = param(3);
        AdamW opt = new AdamW(List.of(a, b), 0.1f);
        setGrad(a, new float[] {1, -1});
        opt.step();
        assertEquals(1, opt.steps(0));
        assertEquals(0, opt.steps(1));
        assertArrayEquals(new float[] {3}, b.toArray(), 0f);
        // first AdamW step moves each coordinate by ~lr (m̂/√v̂ = ±1) after decay p *= 1 - lr*wd
        float[] moved = a.toArray();
        assertEquals(1 * (1 - 0.1f * 0.01f) - 0.1f, moved[0], 1e-6f);
        assertEquals(2 * (1 - 0.1f * 0.01f) + 0.1f, moved[1], 1e-6f);
        opt.zeroGrad();
        assertNull(a.grad());
        opt.step(); // no grads: nothing moves, no step counted
        assertArrayEquals(moved, a.toArray(), 0f);
        assertEquals(1, opt.steps(0));
    }

    @Test
    void learningRateFollowsASchedule() {
        Tensor a = param(0);
        Sgd opt = new Sgd(List.of(a), 1f);
        LrSchedule schedule = LrSchedule.linearWarmupDecay(2, 4);
        float[] seen = new float[5];
        for (int step = 0; step < 5; step++) {
            schedule.apply(opt, 0.5f, step);
            seen[step] = opt.lr();
            opt.zeroGrad();
            setGrad(a, new float[] {1});
            opt.step();
        }
        assertArrayEquals(new float[] {0f, 0.25f, 0.5f, 0.25f, 0f}, seen, 0f);
        assertEquals(-1.0f, a.item(), 1e-7f, "plain SGD moves by -lr * g each step: sum of lrs");
    }

    @Test
    void rejectsInvalidConfigurations() {
        Tensor a = param(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Sgd(List.of(a), 0.1f, 0.9f, 0.1f, 0f, true));
        assertTrue(e.getMessage().contains("nesterov"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Sgd(List.of(a), 0.1f, 0f, 0f, 0f, true));
        e = assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(a, a), 0.1f));
        assertTrue(e.getMessage().contains("same tensor"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(a), 0.1f, 1f, 0.999f, 1e-8f, 0f));
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(a), -1f));
        Tensor view = Tensor.of(k, new float[6], 2, 3).t();
        assertThrows(IllegalArgumentException.class, () -> new AdamW(List.of(view), 0.1f));
    }
}
