package dev.peft4j.peft.lora;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.core.AdapterFiles;
import dev.peft4j.peft.core.AdapterLayer;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TargetModules;
import dev.peft4j.peft.core.TensorSlot;
import dev.peft4j.peft.train.AdapterMethod;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every method keeps, on a tiny GPT-2 with adapters on c_attn and both c_proj: identity at
 * init, gradients against central differences, merged forward = unmerged forward, merge + unmerge
 * restores the base, save -> load reproduces the adapter bit for bit.
 */
class AdapterMethodsTest {

    private static Kernels k;
    private static final int[] IDS = TinyModels.ids(7);

    @BeforeAll
    static void setUp() {
        k = new CpuKernels();
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    private static PeftModel adapted(Gpt2Model model, AdapterMethod method) {
        return PeftModel.create(model, k, method.config(4, 8, 0f, TargetModules.names("c_attn", "c_proj")), new Rng(3));
    }

    /** Moves every trainable tensor away from its (often zero) init so the checks see real values. */
    private static void perturb(PeftModel peft, Rng rng) {
        for (Map.Entry<String, Tensor> e : peft.model().namedTrainableParameters().entrySet()) {
            Tensor t = e.getValue();
            if (e.getKey().contains("lora_magnitude_vector")) {
                float[] m = t.toArray();
                for (int i = 0; i < m.length; i++) {
                    m[i] *= (float) (1 + 0.2 * rng.normal(0, 1));
                }
                t.copyFrom(m);
            } else {
                TinyModels.randomize(t, rng, 0, 0.3);
            }
        }
    }

    private static Map<String, float[]> baseWeights(Gpt2Model model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((name, t) -> {
            if (name.contains("base_layer")) {
                out.put(name, t.toArray());
            }
        });
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = AdapterMethod.class, names = {"LORA", "RSLORA", "DORA", "PISSA", "LORA_B_ONLY", "COLA", "VERA"})
    void initialAdapterLeavesTheBaseLossUnchanged(AdapterMethod method) {
        Gpt2Model model = TinyModels.gpt2(k, 11);
        float before = TinyModels.lossValue(model, IDS);
        PeftModel peft = adapted(model, method);
        float after = TinyModels.lossValue(model, IDS);
        if (method == AdapterMethod.PISSA) {
            // The base now holds W - U_r S_r V_rᵀ and the adapter adds it back: equal up to float rounding.
            assertEquals(before, after, 2e-5, method + ": loss changed at init");
        } else {
            assertEquals(before, after, 0f, method + ": a zero-initialised adapter must be exactly the base");
        }
        assertTrue(peft.summary().trainable() > 0);
    }

    @ParameterizedTest
    @EnumSource(value = AdapterMethod.class, names = {"LORA", "RSLORA", "DORA", "PISSA", "LORA_B_ONLY", "COLA", "VERA"})
    void gradientsOfTrainableTensorsMatchCentralDifferences(AdapterMethod method) {
        Gpt2Model model = TinyModels.gpt2(k, 12);
        PeftModel peft = adapted(model, method);
        Rng rng = new Rng(5);
        perturb(peft, rng);
        if (method == AdapterMethod.COLA) {
            new ChainOfLora(peft, PeftModel.DEFAULT_ADAPTER, 1, rng).restart();
            perturb(peft, rng);
        }
        for (AdapterLayer l : peft.layers().values()) {
            if (l instanceof LoraLayer lora) {
                lora.freezeDoraNorms(true); // the norm is a detached constant in autograd; hold it for the differences
            }
        }
        Map<String, Tensor> trainable = peft.model().namedTrainableParameters();
        TinyModels.loss(model, IDS).backward();
        for (Map.Entry<String, Tensor> e : trainable.entrySet()) {
            Tensor t = e.getValue();
            assertTrue(t.grad() != null, method + ": no gradient reached " + e.getKey());
            TinyModels.checkGradient(method + " " + e.getKey(), t, t.grad().toArray(),
                    () -> TinyModels.lossValue(model, IDS), 3, rng);
        }
        if (method == AdapterMethod.LORA_B_ONLY) {
            assertTrue(trainable.keySet().stream().noneMatch(n -> n.contains("lora_A")), "lora_A must be frozen");
        }
    }

    @ParameterizedTest
    @EnumSource(value = AdapterMethod.class, names = {"LORA", "RSLORA", "DORA", "PISSA", "LORA_B_ONLY", "COLA", "VERA"})
    void mergedForwardEqualsUnmergedAndUnmergeRestoresTheBase(AdapterMethod method) {
        Gpt2Model model = TinyModels.gpt2(k, 13);
        PeftModel peft = adapted(model, method);
        perturb(peft, new Rng(6));
        Map<String, float[]> before = baseWeights(model);
        float[] unmerged = TinyModels.logits(model, IDS);
        peft.merge();
        float[] merged = TinyModels.logits(model, IDS);
        assertTrue(TinyModels.maxAbsDiff(unmerged, merged) < 2e-5,
                method + ": merged logits differ by " + TinyModels.maxAbsDiff(unmerged, merged));
        peft.unmerge();
        // Merge adds ΔW in float64 and rounds once; unmerge subtracts it again: within a few float32 ulps of W+ΔW.
        for (Map.Entry<String, float[]> e : baseWeights(model).entrySet()) {
            double diff = TinyModels.maxAbsDiff(before.get(e.getKey()), e.getValue());
            assertTrue(diff <= 1e-6, method + " " + e.getKey() + ": restored weights differ by " + diff);
        }
        assertArrayEquals(unmerged, TinyModels.logits(model, IDS), 2e-5f);
    }

    @ParameterizedTest
    @EnumSource(value = AdapterMethod.class, names = {"LORA", "RSLORA", "DORA", "PISSA", "LORA_B_ONLY", "COLA", "VERA"})
    void saveThenLoadIsBitExact(AdapterMethod method, @TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 14);
        PeftModel peft = adapted(model, method);
        perturb(peft, new Rng(8));
        if (method == AdapterMethod.COLA) {
            new ChainOfLora(peft, PeftModel.DEFAULT_ADAPTER, 1, new Rng(9)).restart();
            perturb(peft, new Rng(10));
        }
        Map<String, float[]> saved = new LinkedHashMap<>();
        peft.savedSlots(PeftModel.DEFAULT_ADAPTER).forEach((key, slot) -> saved.put(key, slot.values()));
        peft.save(dir);
        float[] logits = TinyModels.logits(model, IDS);

        Map<String, HostTensor> file = SafetensorsReader.readAll(dir.resolve(AdapterFiles.WEIGHTS_FILE));
        assertEquals(saved.keySet(), file.keySet());
        saved.forEach((key, v) -> assertArrayEquals(v, file.get(key).data(), 0f, key));

        Gpt2Model fresh = TinyModels.gpt2(k, 14);
        PeftModel loaded = PeftModel.load(fresh, k, dir, false);
        Map<String, TensorSlot> slots = loaded.savedSlots(PeftModel.DEFAULT_ADAPTER);
        assertEquals(file.keySet(), slots.keySet());
        file.forEach((key, t) -> assertArrayEquals(t.data(), slots.get(key).values(), 0f, key));
        assertEquals(0, loaded.summary().trainable(), "loaded for inference: nothing trains");
        float[] reloaded = TinyModels.logits(fresh, IDS);
        if (method == AdapterMethod.PISSA || method == AdapterMethod.COLA) {
            // Saved against the original weights (rank-concatenated), so equal up to float rounding.
            assertTrue(TinyModels.maxAbsDiff(logits, reloaded) < 2e-5);
        } else {
            assertArrayEquals(logits, reloaded, 0f);
        }
    }

    @ParameterizedTest
    @EnumSource(value = AdapterMethod.class, names = {"PISSA", "COLA"})
    void savedFormIsAPlainLoraOfTheSummedRank(AdapterMethod method, @TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 15);
        PeftModel peft = adapted(model, method);
        if (method == AdapterMethod.COLA) {
            ChainOfLora chain = new ChainOfLora(peft, PeftModel.DEFAULT_ADAPTER, 1, new Rng(1));
            chain.restart();
            chain.restart();
            assertEquals(3, chain.links());
        }
        peft.save(dir);
        LoraConfig saved = (LoraConfig) AdapterFiles.read(dir).config();
        int expectedRank = method == AdapterMethod.COLA ? 12 : 8;
        assertEquals(expectedRank, saved.r());
        assertEquals(2.0, saved.scaling(), 1e-12, "alpha is rescaled so the scaling stays 8/4");
        assertEquals(Boolean.TRUE, saved.initLoraWeights());
        List<String> keys = List.copyOf(peft.savedKeys(PeftModel.DEFAULT_ADAPTER));
        assertTrue(keys.contains("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight"), keys.toString());
    }
}
