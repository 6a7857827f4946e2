package dev.peft4j.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.Bf16;
import dev.peft4j.kernels.cpu.CpuKernels;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Casting a module tree's frozen weights to bf16: what is cast, tied weights, state dicts, and refusals. */
class FrozenBf16Test {

    private static final Kernels K = new CpuKernels();

    /** An embedding, a linear layer and a norm, with the embedding table tied as a second module's weight. */
    static final class Tiny extends Module {
        Tiny(Rng rng) {
            Embedding e = registerModule("emb", new Embedding(K, 11, 6, rng));
            registerModule("proj", new Linear(K, 6, 6, true, rng));
            registerModule("norm", new LayerNorm(K, 6, 1e-5f));
            registerModule("head", new Linear(e.weight(), null));
        }
    }

    @Test
    void castsOnlyFrozenMatricesAndKeepsTiesAndValues() {
        Tiny m = new Tiny(new Rng(1));
        m.freeze();
        m.unfreeze(name -> name.equals("proj.weight"));
        Map<String, Tensor> before = m.namedParameters();
        float[] emb = before.get("emb.weight").toArray();
        FrozenBf16.Result r = FrozenBf16.cast(m);
        assertEquals(1, r.tensors()); // emb.weight (= head.weight); proj.weight trains, the rest are 1-D
        assertEquals(66, r.elements());
        assertEquals(132, r.bytesSaved());
        Map<String, Tensor> after = m.namedParameters();
        assertEquals(before.keySet(), after.keySet());
        assertTrue(after.get("emb.weight").isBf16());
        assertSame(after.get("emb.weight"), ((Linear) m.module("head")).weight());
        assertFalse(after.get("proj.weight").isBf16());
        assertSame(before.get("proj.weight"), after.get("proj.weight"));
        assertFalse(after.get("proj.bias").isBf16());
        assertFalse(after.get("norm.weight").isBf16());
        assertTrue(m.parameters().stream().anyMatch(Tensor::isBf16));
        float[] got = after.get("emb.weight").toArray();
        for (int i = 0; i < emb.length; i++) {
            assertEquals(Bf16.widen(Bf16.round(emb[i])), got[i]);
        }
        assertEquals(0, FrozenBf16.cast(m).tensors()); // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class, m::unfreeze);
        assertTrue(e.getMessage().contains("bf16"), e.getMessage());
    }

    @Test
    void aStateDictOfABf16ModelHoldsTheRoundedValuesAsF32AndRefusesToLoadIntoIt(@TempDir Path dir) throws Exception {
        Tiny m = new Tiny(new Rng(2));
        m.freeze();
        FrozenBf16.cast(m);
        Path file = dir.resolve("m.safetensors");
        StateDict.save(m, file);
        Map<String, dev.peft4j.engine.io.HostTensor> read = SafetensorsReader.readAll(file);
        for (Map.Entry<String, Tensor> p : m.namedParameters().entrySet()) {
            assertArrayEquals(p.getValue().toArray(), read.get(p.getKey()).data(), p.getKey());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> StateDict.load(m, file, true));
        assertTrue(e.getMessage().contains("f32"), e.getMessage());
    }
}
