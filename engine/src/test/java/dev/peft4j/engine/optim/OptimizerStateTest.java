package dev.peft4j.engine.optim;

import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.peft4j.engine.optim.OptimizerFixtureTest.setGrad;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** State export/import: 5 updates straight equal 3, a save, a fresh optimizer loading it, and 2 more, bit for bit. */
class OptimizerStateTest {

    private static Kernels k;

    @BeforeAll
    static void open() {
        k = new CpuKernels();
    }

    @AfterAll
    static void close() {
        k.close();
    }

    private static float[] grad(int step, int i, int n) {
        float[] g = new float[n];
        for (int j = 0; j < n; j++) {
            g[j] = (float) Math.sin(1.7 * step + 0.3 * j + i);
        }
        return g;
    }

    /** Runs {@code from..to-1} updates; parameter 1 gets no gradient on step 0 (its own step count lags). */
    private static void steps(Optimizer o, List<Tensor> ps, int from, int to) {
        for (int s = from; s < to; s++) {
            o.zeroGrad();
            for (int i = 0; i < ps.size(); i++) {
                if (!(i == 1 && s == 0)) {
                    setGrad(ps.get(i), grad(s, i, ps.get(i).numel()));
                }
            }
            o.step();
        }
    }

    private static List<Tensor> params() {
        return List.of(Tensor.of(k, new float[] {0.5f, -1f, 2f}, 3).requiresGrad(true),
                Tensor.of(k, new float[] {1f, 0.25f}, 2).requiresGrad(true));
    }

    private static void resumesExactly(Function<List<Tensor>, Optimizer> make, String... bufferNames) {
        List<Tensor> straight = params();
        steps(make.apply(straight), straight, 0, 5);

        List<Tensor> first = params();
        Optimizer a = make.apply(first);
        steps(a, first, 0, 3);
        List<Tensor> second = params();
        for (int i = 0; i < first.size(); i++) {
            second.get(i).copyFrom(first.get(i).toArray());
        }
        Optimizer b = make.apply(second);
        assertEquals(2, b.size());
        for (int i = 0; i < a.size(); i++) {
            ParamState s = a.state(i);
            assertEquals(i == 1 ? 2 : 3, s.steps(), "parameter " + i + " steps");
            assertEquals(java.util.Set.of(bufferNames), s.buffers().keySet());
            b.loadState(i, s);
        }
        steps(b, second, 3, 5);
        for (int i = 0; i < straight.size(); i++) {
            assertArrayEquals(straight.get(i).toArray(), second.get(i).toArray(), 0f, "parameter " + i);
        }
    }

    @Test
    void adamWResumesBitIdentical() {
        resumesExactly(ps -> new AdamW(ps, 0.1f, 0.9f, 0.999f, 1e-8f, 0.01f), "exp_avg", "exp_avg_sq");
    }

    @Test
    void sgdWithMomentumResumesBitIdentical() {
        resumesExactly(ps -> new Sgd(ps, 0.1f, 0.9f, 0f, 0.01f, true), "momentum_buffer");
    }

    @Test
    void plainSgdHasNoBuffersAndAFreshStateIsEmpty() {
        List<Tensor> ps = params();
        Sgd sgd = new Sgd(ps, 0.1f);
        assertTrue(sgd.state(0).buffers().isEmpty());
        AdamW adam = new AdamW(ps, 0.1f);
        assertEquals(ParamState.fresh(), adam.state(0));
    }

    @Test
    void aStateOfTheWrongSizeIsRefusedNamingTheBuffer() {
        AdamW adam = new AdamW(params(), 0.1f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.loadState(0,
                new ParamState(1, Map.of("exp_avg", new float[2], "exp_avg_sq", new float[3]))));
        assertTrue(e.getMessage().contains("AdamW") && e.getMessage().contains("exp_avg")
                && e.getMessage().contains("3 values"), e.getMessage());
    }
}
