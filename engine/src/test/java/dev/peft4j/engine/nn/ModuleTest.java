package dev.peft4j.engine.nn;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleTest {

    private static Kernels k;

    @BeforeAll
    static void open() {
        k = new CpuKernels();
    }

    @AfterAll
    static void close() {
        k.close();
    }

    /** A GPT-2-shaped block: names as in the HF checkpoint. */
    static final class Attn extends Module {
        Attn(Rng rng) {
            registerModule("c_attn", new Linear(k, 4, 12, true, rng));
            registerModule("c_proj", new Linear(k, 4, 4, true, rng));
        }
    }

    static final class Block extends Module {
        Block(Rng rng) {
            registerModule("ln_1", new LayerNorm(k, 4, 1e-5f));
            registerModule("attn", new Attn(rng));
            registerModule("drop", new Dropout(0.1f, rng));
        }
    }

    static final class Tiny extends Module {
        Tiny(Rng rng, boolean tie) {
            Embedding wte = registerModule("wte", new Embedding(k, 10, 4, rng));
            ModuleList h = registerModule("h", new ModuleList());
            h.add(new Block(rng));
            h.add(new Block(rng));
            registerModule("ln_f", new RMSNorm(k, 4, 1e-6f));
            registerModule("lm_head", tie ? new Linear(wte.weight(), null) : new Linear(k, 4, 10, false, rng));
        }
    }

    @Test
    void namesAreHierarchicalInRegistrationOrder() {
        Tiny m = new Tiny(new Rng(1), false);
        List<String> names = List.copyOf(m.namedParameters().keySet());
        assertEquals(List.of("wte.weight",
                "h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias",
                "h.0.attn.c_proj.weight", "h.0.attn.c_proj.bias",
                "h.1.ln_1.weight", "h.1.ln_1.bias", "h.1.attn.c_attn.weight", "h.1.attn.c_attn.bias",
                "h.1.attn.c_proj.weight", "h.1.attn.c_proj.bias",
                "ln_f.weight", "lm_head.weight"), names);
        int perBlock = 4 + 4 + 12 * 4 + 12 + 4 * 4 + 4;
        assertEquals(10 * 4 + 2 * perBlock + 4 + 4 * 10, m.parameterCount());
        assertEquals(names.size(), m.parameters().size());
        assertEquals(List.of("", "wte", "h", "h.0", "h.0.ln_1", "h.0.attn", "h.0.attn.c_attn", "h.0.attn.c_proj",
                "h.0.drop", "h.1", "h.1.ln_1", "h.1.attn", "h.1.attn.c_attn", "h.1.attn.c_proj", "h.1.drop",
                "ln_f", "lm_head"), List.copyOf(m.namedModules().keySet()));
    }

    @Test
    void tiedWeightsAppearOnceUnderTheirFirstName() {
        Tiny m = new Tiny(new Rng(1), true);
        Map<String, Tensor> named = m.namedParameters();
        assertTrue(named.containsKey("wte.weight"));
        assertFalse(named.containsKey("lm_head.weight"));
        assertSame(named.get("wte.weight"), ((Linear) m.module("lm_head")).weight());
    }

    @Test
    void freezeAndUnfreezeByName() {
        Tiny m = new Tiny(new Rng(1), false);
        assertEquals(m.parameters().size(), m.trainableParameters().size(), "all trainable by default");
        m.freeze();
        assertTrue(m.trainableParameters().isEmpty());
        assertEquals(4, m.unfreeze(n -> n.contains("c_attn")));
        assertEquals(List.of("h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias", "h.1.attn.c_attn.weight",
                "h.1.attn.c_attn.bias"), List.copyOf(m.namedTrainableParameters().keySet()));
        // matches h.1's three biases (ln_1, c_attn, c_proj); only c_attn's was trainable
        assertEquals(3, m.freeze(n -> n.endsWith(".bias") && n.startsWith("h.1")));
        assertEquals(3, m.trainableParameters().size());
        assertFalse(((Linear) m.module("h.1.attn.c_attn")).bias().requiresGrad());
        m.unfreeze();
        assertEquals(m.parameters().size(), m.trainableParameters().size());
    }

    @Test
    void moduleLookupAndReplacement() {
        Tiny m = new Tiny(new Rng(1), false);
        Module cAttn = m.module("h.1.attn.c_attn");
        assertTrue(cAttn instanceof Linear l && l.outFeatures() == 12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.module("h.1.attn.q_proj"));
        assertTrue(e.getMessage().contains("\"h.1.attn\"") && e.getMessage().contains("\"q_proj\"")
                && e.getMessage().contains("c_attn"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.module("h.7"));

        m.eval();
        Linear replacement = new Linear(k, 4, 12, false, new Rng(2));
        assertSame(cAttn, m.replaceModule("h.1.attn.c_attn", replacement));
        assertSame(replacement, m.module("h.1.attn.c_attn"));
        assertFalse(replacement.isTraining(), "the replacement takes the old module's mode");
        assertFalse(m.namedParameters().containsKey("h.1.attn.c_attn.bias"));
        assertSame(replacement, ((ModuleList) m.module("h")).get(1).module("attn.c_attn"));
        assertThrows(IllegalArgumentException.class, () -> m.replaceModule("h.1.attn.nope", replacement));
    }

    @Test
    void trainAndEvalReachEveryDescendant() {
        Tiny m = new Tiny(new Rng(1), false);
        assertTrue(m.module("h.0.drop").isTraining());
        m.eval();
        for (Module sub : m.namedModules().values()) {
            assertFalse(sub.isTraining(), sub.toString());
        }
        m.train(true);
        assertTrue(m.module("h.1.drop").isTraining());
    }

    @Test
    void registrationRejectsBadNames() {
        Module m = new Module() { };
        m.registerParameter("w", Tensor.zeros(k, 2));
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter("w", Tensor.zeros(k, 2)));
        assertThrows(IllegalArgumentException.class, () -> m.registerModule("w", new Dropout(0f, 1L)));
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter("a.b", Tensor.zeros(k, 2)));
        assertThrows(IllegalArgumentException.class, () -> m.registerParameter("", Tensor.zeros(k, 2)));
        assertThrows(UnsupportedOperationException.class, () -> m.forward(Tensor.zeros(k, 2)));
    }
}
