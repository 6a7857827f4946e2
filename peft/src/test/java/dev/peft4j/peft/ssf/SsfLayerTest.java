package dev.peft4j.peft.ssf;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.LayerNorm;
import dev.peft4j.engine.nn.Linear;
import dev.peft4j.engine.nn.Module;
import dev.peft4j.engine.nn.RMSNorm;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.peft.core.InjectionContext;
import dev.peft4j.peft.core.PeftModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SSF on each module kind it follows, and the folds the merge relies on. */
class SsfLayerTest {

    private static Kernels k;

    @BeforeAll
    static void setUp() {
        k = new CpuKernels();
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    private SsfLayer layer(Module base, boolean identity) {
        SsfLayer l = new SsfLayer(base, "m");
        l.addAdapter(PeftModel.DEFAULT_ADAPTER, new SsfConfig().initSsfWeights(identity),
                new InjectionContext(k, new Rng(4), InjectionContext.newShared()));
        l.setActive(PeftModel.DEFAULT_ADAPTER);
        return l;
    }

    @Test
    void scaleAndShiftFollowTheModuleAndFoldIntoIt() {
        Rng rng = new Rng(1);
        Module[] bases = {
            new Linear(Tensor.of(k, rng.normal(6 * 4, 0, 1), 6, 4), Tensor.of(k, rng.normal(6, 0, 1), 6)),
            new LayerNorm(Tensor.of(k, rng.normal(4, 1, 0.2), 4), Tensor.of(k, rng.normal(4, 0, 0.2), 4), 1e-5f),
            new RMSNorm(Tensor.of(k, rng.normal(4, 1, 0.2), 4), 1e-5f),
        };
        for (Module base : bases) {
            boolean rms = base instanceof RMSNorm;
            SsfLayer l = layer(base, rms);
            Tensor scale = l.trainableTensors(PeftModel.DEFAULT_ADAPTER).get(0);
            Tensor shift = l.trainableTensors(PeftModel.DEFAULT_ADAPTER).get(1);
            if (rms) {
                scale.copyFrom(rng.normal(scale.numel(), 1, 0.3)); // RMSNorm has no bias: scale only
            }
            try (var ignored = Autograd.noGrad()) {
                Tensor x = Tensor.of(k, rng.normal(3 * 4, 0, 1), 3, 4);
                float[] expected = base.forward(x).mul(scale).add(shift).toArray();
                float[] adapted = l.forward(x).toArray();
                assertArrayEquals(expected, adapted, 0f, base.toString());
                l.merge(PeftModel.DEFAULT_ADAPTER);
                assertArrayEquals(expected, l.forward(x).toArray(), 1e-5f, base + " merged");
                l.unmerge();
                assertArrayEquals(adapted, l.forward(x).toArray(), 1e-5f, base + " unmerged");
            }
        }
    }

    @Test
    void paperInitIsNearTheIdentityAndAShiftNeedsABiasToFold() {
        Rng rng = new Rng(2);
        SsfLayer l = layer(new Linear(Tensor.of(k, rng.normal(12, 0, 1), 3, 4), null), false);
        float[] scale = l.trainableTensors(PeftModel.DEFAULT_ADAPTER).get(0).toArray();
        float[] shift = l.trainableTensors(PeftModel.DEFAULT_ADAPTER).get(1).toArray();
        for (int i = 0; i < 3; i++) {
            assertTrue(Math.abs(scale[i] - 1) < 0.1 && scale[i] != 1f, "γ ~ N(1, 0.02²): " + scale[i]);
            assertTrue(Math.abs(shift[i]) < 0.1 && shift[i] != 0f, "β ~ N(0, 0.02²): " + shift[i]);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.merge(PeftModel.DEFAULT_ADAPTER));
        assertTrue(e.getMessage().contains("no bias"), e.getMessage());
        assertEquals(0, l.mergedAdapters().size());
    }
}
