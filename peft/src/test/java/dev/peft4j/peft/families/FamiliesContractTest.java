package dev.peft4j.peft.families;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.adapter.BottleneckConfig;
import dev.peft4j.peft.core.AdapterConfig;
import dev.peft4j.peft.core.AdapterFiles;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TensorSlot;
import dev.peft4j.peft.ia3.Ia3Config;
import dev.peft4j.peft.prompt.PrefixTuningConfig;
import dev.peft4j.peft.prompt.PromptTuningConfig;
import dev.peft4j.peft.ssf.SsfConfig;
import dev.peft4j.peft.train.OptimizerSettings;
import dev.peft4j.peft.train.TrainingLoop;
import dev.peft4j.peft.tuning.BitFitConfig;
import dev.peft4j.peft.tuning.LnTuningConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract each PEFT family beyond LoRA keeps on the tiny GPT-2, with its GPT-2 default placement:
 * identity at init (where the method has one), gradients against central differences, merged = unmerged
 * and an exact-enough unmerge (where the math allows; the others refuse), save -> load bit-exact, and a short
 * run where the loss falls while every frozen weight stays bit-identical.
 */
class FamiliesContractTest {

    enum Family {
        IA3(Ia3Config::gpt2Default, true, true),
        SSF(SsfConfig::gpt2Default, true, true),
        BITFIT(BitFitConfig::gpt2Default, true, true),
        LN_TUNING(LnTuningConfig::gpt2Default, true, true),
        SERIES_ADAPTER(() -> BottleneckConfig.gpt2Series().bottleneckSize(4), true, false),
        PARALLEL_ADAPTER(() -> BottleneckConfig.gpt2Parallel().bottleneckSize(4).nonLinearity("gelu"), true, false),
        PROMPT(() -> new PromptTuningConfig().promptTuningInit("SAMPLE_VOCAB").numVirtualTokens(3), false, false),
        PREFIX(() -> new PrefixTuningConfig().numVirtualTokens(3).numLayers(2).numAttentionHeads(2), false, false);

        final Supplier<AdapterConfig> config;
        final boolean identityAtInit;
        final boolean mergeable;

        Family(Supplier<AdapterConfig> config, boolean identityAtInit, boolean mergeable) {
            this.config = config;
            this.identityAtInit = identityAtInit;
            this.mergeable = mergeable;
        }
    }

    private static Kernels k;
    private static final int[] IDS = TinyModels.ids(21);

    @BeforeAll
    static void setUp() {
        k = new CpuKernels();
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    private static PeftModel adapted(Gpt2Model model, Family f) {
        return PeftModel.create(model, k, f.config.get(), new Rng(3));
    }

    /** Moves every trainable tensor away from its init (ones stay near one, copies near the original). */
    private static void perturb(PeftModel peft, Rng rng) {
        for (Tensor t : peft.trainableParameters()) {
            float[] v = t.toArray();
            float[] noise = rng.normal(v.length, 0, 0.3);
            for (int i = 0; i < v.length; i++) {
                v[i] += noise[i];
            }
            t.copyFrom(v);
        }
    }

    private static Map<String, float[]> frozen(Gpt2Model model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        model.namedParameters().forEach((name, t) -> {
            if (!t.requiresGrad()) {
                out.put(name, t.toArray());
            }
        });
        return out;
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void initialAdapterIsTheIdentityOrDisablingGivesTheBase(Family f) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 11);
        float before = TinyModels.lossValue(model, IDS);
        PeftModel peft = adapted(model, f);
        assertTrue(peft.summary().trainable() > 0);
        float after = TinyModels.lossValue(model, IDS);
        if (f.identityAtInit) {
            assertEquals(before, after, 0f, f + ": the initial adapter must be exactly the base");
        } else {
            assertTrue(Math.abs(before - after) > 1e-4, f + ": virtual tokens must change the output");
        }
        try (AutoCloseable ignored = peft.disableAdapters()) {
            assertEquals(before, TinyModels.lossValue(model, IDS), 0f, f + ": disabled adapters must give the base");
        }
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void gradientsMatchCentralDifferences(Family f) {
        Gpt2Model model = TinyModels.gpt2(k, 12);
        PeftModel peft = adapted(model, f);
        Rng rng = new Rng(5);
        perturb(peft, rng);
        Map<String, Tensor> trainable = peft.model().namedTrainableParameters();
        assertFalse(trainable.isEmpty());
        TinyModels.loss(model, IDS).backward();
        for (Map.Entry<String, Tensor> e : trainable.entrySet()) {
            Tensor t = e.getValue();
            assertTrue(t.grad() != null, f + ": no gradient reached " + e.getKey());
            checkGradient(f + " " + e.getKey(), t, t.grad().toArray(), () -> TinyModels.lossValue(model, IDS), 3, rng);
        }
    }

    /**
     * Central differences at step 1e-2 and, where the loss curves sharply near the point (a scale on a
     * value channel can), again at 3e-3: the gradient must match the difference at one of the steps.
     */
    private static void checkGradient(String what, Tensor param, float[] grad, DoubleSupplier loss, int samples,
                                      Rng rng) {
        float[] values = param.toArray();
        for (int s = 0; s < samples; s++) {
            int i = rng.nextInt(values.length);
            for (double eps : new double[] {1e-2, 3e-3}) {
                float saved = values[i];
                float up = (float) (saved + eps);
                float down = (float) (saved - eps);
                values[i] = up;
                param.copyFrom(values);
                double plus = loss.getAsDouble();
                values[i] = down;
                param.copyFrom(values);
                double minus = loss.getAsDouble();
                values[i] = saved;
                param.copyFrom(values);
                double numeric = (plus - minus) / ((double) up - down);
                if (Math.abs(numeric - grad[i]) <= 2e-3 + 2e-2 * Math.abs(numeric)) {
                    break;
                }
                if (eps == 3e-3) {
                    throw new AssertionError(what + "[" + i + "]: autograd " + grad[i] + " vs central difference "
                            + numeric);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void mergeKeepsTheForwardAndUnmergeRestoresTheBase(Family f) {
        Gpt2Model model = TinyModels.gpt2(k, 13);
        PeftModel peft = adapted(model, f);
        perturb(peft, new Rng(6));
        Map<String, float[]> before = frozen(model);
        float[] unmerged = TinyModels.logits(model, IDS);
        if (!f.mergeable) {
            assertThrows(UnsupportedOperationException.class, peft::merge);
            assertArrayEquals(unmerged, TinyModels.logits(model, IDS), 0f);
            return;
        }
        peft.merge();
        float[] merged = TinyModels.logits(model, IDS);
        assertTrue(TinyModels.maxAbsDiff(unmerged, merged) < 2e-5,
                f + ": merged logits differ by " + TinyModels.maxAbsDiff(unmerged, merged));
        peft.unmerge();
        for (Map.Entry<String, float[]> e : frozen(model).entrySet()) {
            double diff = TinyModels.maxAbsDiff(before.get(e.getKey()), e.getValue());
            assertTrue(diff <= 2e-6, f + " " + e.getKey() + ": restored weights differ by " + diff);
        }
        assertArrayEquals(unmerged, TinyModels.logits(model, IDS), 2e-5f);
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void saveThenLoadIsBitExact(Family f, @TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 14);
        PeftModel peft = adapted(model, f);
        perturb(peft, new Rng(8));
        Map<String, float[]> saved = new LinkedHashMap<>();
        peft.savedSlots(PeftModel.DEFAULT_ADAPTER).forEach((key, slot) -> saved.put(key, slot.values()));
        peft.save(dir);
        float[] logits = TinyModels.logits(model, IDS);

        Map<String, HostTensor> file = SafetensorsReader.readAll(dir.resolve(AdapterFiles.WEIGHTS_FILE));
        assertEquals(saved.keySet(), file.keySet());
        saved.forEach((key, v) -> assertArrayEquals(v, file.get(key).data(), 0f, key));
        long savedCount = file.values().stream().mapToLong(t -> t.data().length).sum();
        assertTrue(savedCount <= peft.summary().trainable() + 64,
                f + ": the file must hold the adapter, not the model (" + savedCount + " values)");

        Gpt2Model fresh = TinyModels.gpt2(k, 14);
        PeftModel loaded = PeftModel.load(fresh, k, dir, false);
        Map<String, TensorSlot> slots = loaded.savedSlots(PeftModel.DEFAULT_ADAPTER);
        assertEquals(file.keySet(), slots.keySet());
        file.forEach((key, t) -> assertArrayEquals(t.data(), slots.get(key).values(), 0f, key));
        assertEquals(0, loaded.summary().trainable(), "loaded for inference: nothing trains");
        assertArrayEquals(logits, TinyModels.logits(fresh, IDS), 0f);
    }

    @ParameterizedTest
    @EnumSource(Family.class)
    void shortRunLowersTheLossAndLeavesFrozenWeightsAlone(Family f) {
        Gpt2Model model = TinyModels.gpt2(k, 15);
        PeftModel peft = adapted(model, f);
        Map<String, float[]> before = frozen(model);
        model.train(true);
        List<Float> losses = TrainingLoop.run(peft::trainableParameters, () -> null,
                b -> TinyModels.loss(model, IDS), new OptimizerSettings("adamw", 3e-2f, 0f, 1.0, "constant", 0, 25),
                null);
        model.eval();
        assertTrue(losses.getLast() < 0.9 * losses.getFirst(), f + ": loss " + losses.getFirst() + " -> " + losses.getLast());
        Map<String, float[]> after = frozen(model);
        assertEquals(before.keySet(), after.keySet());
        before.forEach((name, v) -> assertArrayEquals(v, after.get(name), 0f, f + ": frozen " + name + " changed"));
    }
}
