package dev.peft4j.peft.adapter;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.core.AdapterFiles;
import dev.peft4j.peft.core.PeftModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Series and parallel bottleneck adapters compute what their papers write, and save their four tensors. */
class BottleneckLayerTest {

    private static Kernels k;

    @BeforeAll
    static void setUp() {
        k = new CpuKernels();
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    private static void randomize(BottleneckLayer l, Rng rng) {
        for (Tensor t : l.trainableTensors(PeftModel.DEFAULT_ADAPTER)) {
            t.copyFrom(rng.normal(t.numel(), 0, 0.5));
        }
    }

    @Test
    void seriesAddsTheBottleneckOfTheOutputAndParallelOfTheInput() {
        Rng rng = new Rng(1);
        for (boolean parallel : new boolean[] {false, true}) {
            Gpt2Model model = TinyModels.gpt2(k, 71);
            BottleneckConfig config = parallel ? BottleneckConfig.gpt2Parallel().bottleneckSize(3).nonLinearity("tanh")
                    : BottleneckConfig.gpt2Series().bottleneckSize(3).scaling(0.5).nonLinearity("relu");
            PeftModel peft = PeftModel.create(model, k, config, new Rng(2));
            BottleneckLayer l = (BottleneckLayer) peft.layers().get(parallel ? "h.1.mlp" : "h.1.attn.c_proj");
            randomize(l, rng);
            Map<String, Tensor> t = l.savedTensors(PeftModel.DEFAULT_ADAPTER);
            assertArrayEquals(new int[] {3, 8}, t.get("adapter_down.weight").shape());
            assertArrayEquals(new int[] {8, 3}, t.get("adapter_up.weight").shape());
            try (var ignored = Autograd.noGrad()) {
                Tensor x = Tensor.of(k, rng.normal(2 * 3 * 8, 0, 1), 2, 3, 8);
                Tensor y = l.baseLayer().forward(x);
                Tensor h = Functional.linear(parallel ? x : y, t.get("adapter_down.weight"), t.get("adapter_down.bias"));
                h = parallel ? h.tanh() : h.relu();
                Tensor expected = y.add(Functional.linear(h, t.get("adapter_up.weight"), t.get("adapter_up.bias"))
                        .mul((float) config.scaling()));
                assertArrayEquals(expected.toArray(), l.forward(x).toArray(), 1e-6f, parallel ? "parallel" : "series");
            }
        }
    }

    @Test
    void savedKeysAndConfigRoundTrip(@TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 72);
        PeftModel peft = PeftModel.create(model, k, BottleneckConfig.gpt2Parallel().bottleneckSize(5).adapterDropout(0.1f),
                new Rng(2));
        assertTrue(peft.savedKeys(PeftModel.DEFAULT_ADAPTER).contains("base_model.model.transformer.h.0.mlp.adapter_up.bias"));
        assertEquals(4 * 2, peft.savedKeys(PeftModel.DEFAULT_ADAPTER).size());
        peft.save(dir);
        BottleneckConfig read = (BottleneckConfig) AdapterFiles.read(dir).config();
        assertTrue(read.useParallelAdapter());
        assertEquals(5, read.bottleneckSize());
        assertEquals(4.0, read.scaling());
        assertEquals(0.1f, read.adapterDropout());
        assertEquals("tanh", read.nonLinearity());
    }
}
