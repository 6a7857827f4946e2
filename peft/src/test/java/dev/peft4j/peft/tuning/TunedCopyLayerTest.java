package dev.peft4j.peft.tuning;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.json.Json;
import dev.peft4j.engine.nn.Linear;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BitFit and LN tuning train and save exactly the parameters they select, under HF-style keys. */
class TunedCopyLayerTest {

    private static Kernels k;

    @BeforeAll
    static void setUp() {
        k = new CpuKernels();
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    @Test
    void bitFitTrainsAndSavesEveryBiasAndNothingElse() {
        Gpt2Model model = TinyModels.gpt2(k, 61);
        Set<String> biases = new TreeSet<>();
        long biasCount = 0;
        for (Map.Entry<String, Tensor> e : model.namedParameters().entrySet()) {
            if (e.getKey().endsWith(".bias")) {
                biases.add("base_model.model.transformer." + e.getKey());
                biasCount += e.getValue().numel();
            }
        }
        PeftModel peft = PeftModel.create(model, k, BitFitConfig.gpt2Default(), new Rng(1));
        assertEquals(biases, new TreeSet<>(peft.savedKeys(PeftModel.DEFAULT_ADAPTER)));
        assertEquals(biasCount, peft.summary().trainable());
        assertTrue(peft.model().namedTrainableParameters().keySet().stream().allMatch(n -> n.endsWith(".bias")));
    }

    @Test
    void lnTuningSavesHfKeysAndConfig(@TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 62);
        PeftModel peft = PeftModel.create(model, k, LnTuningConfig.gpt2Default(), new Rng(1));
        Set<String> keys = peft.savedKeys(PeftModel.DEFAULT_ADAPTER);
        assertEquals(2 * (2 * 2 + 1), keys.size(), keys.toString());
        assertTrue(keys.contains("base_model.model.transformer.h.1.ln_2.ln_tuning_layers.weight"), keys.toString());
        assertTrue(keys.contains("base_model.model.transformer.ln_f.ln_tuning_layers.bias"), keys.toString());
        assertTrue(peft.model().namedTrainableParameters().containsKey("h.0.ln_1.ln_tuning_layers.default.weight"));
        peft.save(dir);
        Map<String, Object> json = Json.object(Json.parse(Files.readString(dir.resolve(AdapterFiles.CONFIG_FILE)), "t"), "t");
        assertEquals("LN_TUNING", json.get("peft_type"));
        assertFalse(json.containsKey("bias"));
        assertFalse(json.containsKey("fan_in_fan_out"));
    }

    @Test
    void bitFitOnABiasLessModuleIsAnError() {
        Linear noBias = new Linear(Tensor.of(k, new Rng(1).normal(6, 0, 1), 2, 3), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TunedCopyLayer(noBias, "proj", TunedCopyLayer.Kind.BITFIT));
        assertTrue(e.getMessage().contains("proj") && e.getMessage().contains("no bias"), e.getMessage());
    }
}
