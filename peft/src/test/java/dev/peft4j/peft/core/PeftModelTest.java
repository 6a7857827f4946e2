package dev.peft4j.peft.core;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.io.SafetensorsWriter;
import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Conv1D;
import dev.peft4j.models.gpt2.Gpt2Checkpoint;
import dev.peft4j.models.gpt2.Gpt2Config;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.lora.LoraConfig;
import dev.peft4j.peft.lora.LoraLayer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Injection, freezing, named adapters, modules_to_save, parameter counts and the adapter files. */
class PeftModelTest {

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

    private static List<String> targets(AdapterConfig c) {
        Gpt2Model m = TinyModels.gpt2(k, 1);
        return new ArrayList<>(PeftModel.create(m, k, c, new Rng(0)).layers().keySet());
    }

    @Test
    void targetsAreChosenByNameSuffixRegexAllLinearExclusionAndLayer() {
        assertEquals(List.of("h.0.attn.c_attn", "h.1.attn.c_attn"), targets(new LoraConfig()));
        assertEquals(List.of("h.1.mlp.c_fc"),
                targets(new LoraConfig().targetModules(new TargetModules.Regex("transformer\\.h\\.1\\.mlp\\.c_fc"))));
        assertEquals(8, targets(new LoraConfig().targetModules(new TargetModules.AllLinear())).size());
        assertEquals(List.of("h.0.attn.c_attn", "h.0.mlp.c_fc", "h.1.attn.c_attn", "h.1.mlp.c_fc"),
                targets(new LoraConfig().targetModules(new TargetModules.AllLinear())
                        .excludeModules(TargetModules.names("c_proj"))));
        assertEquals(List.of("h.1.attn.c_attn"), targets(new LoraConfig().layersToTransform(List.of(1))));
        assertEquals(List.of("h.0.attn.c_attn"),
                targets(new LoraConfig().layersToTransform(List.of(0)).layersPattern(List.of("h"))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> targets(new LoraConfig().targetModules(TargetModules.names("q_proj"))));
        assertTrue(e.getMessage().contains("q_proj") && e.getMessage().contains("matched no module"), e.getMessage());
    }

    @Test
    void onlyTheActiveAdapterTrainsAndTheBaseIsFrozen() {
        Gpt2Model model = TinyModels.gpt2(k, 2);
        PeftModel peft = PeftModel.create(model, k, new LoraConfig().r(2), new Rng(0));
        Set<String> trainable = model.namedTrainableParameters().keySet();
        assertEquals(Set.of("h.0.attn.c_attn.lora_A.default.weight", "h.0.attn.c_attn.lora_B.default.weight",
                "h.1.attn.c_attn.lora_A.default.weight", "h.1.attn.c_attn.lora_B.default.weight"), trainable);
        assertTrue(model.namedParameters().containsKey("h.0.attn.c_attn.base_layer.weight"));
        assertEquals(Boolean.TRUE, peft.config("default").fanInFanOut(), "Conv1D targets are fan_in_fan_out");
    }

    @Test
    void namedAdaptersCanBeAddedSwitchedDisabledAndDeleted() {
        Gpt2Model model = TinyModels.gpt2(k, 3);
        float[] base = TinyModels.logits(model, IDS);
        PeftModel peft = PeftModel.create(model, k, new LoraConfig().r(2), new Rng(0));
        peft.addAdapter("other", new LoraConfig().r(3), new Rng(1));
        assertEquals("default", peft.activeAdapter());
        assertTrue(model.namedTrainableParameters().keySet().stream().noneMatch(n -> n.contains(".other.")),
                "a second adapter does not train until it is set active");
        Rng rng = new Rng(2);
        model.namedParameters().forEach((n, t) -> {
            if (n.contains("lora_B")) {
                TinyModels.randomize(t, rng, 0, 0.5);
            }
        });
        float[] withDefault = TinyModels.logits(model, IDS);
        peft.setAdapter("other");
        float[] withOther = TinyModels.logits(model, IDS);
        assertTrue(TinyModels.maxAbsDiff(withDefault, withOther) > 1e-3);
        assertTrue(model.namedTrainableParameters().keySet().stream().allMatch(n -> n.contains(".other.")));
        try (AutoCloseable off = peft.disableAdapters()) {
            assertArrayEquals(base, TinyModels.logits(model, IDS), 0f, "disabled: the base model alone");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertArrayEquals(withOther, TinyModels.logits(model, IDS), 0f);
        peft.deleteAdapter("other");
        assertEquals("default", peft.activeAdapter());
        assertArrayEquals(withDefault, TinyModels.logits(model, IDS), 0f);
        assertTrue(model.namedParameters().keySet().stream().noneMatch(n -> n.contains(".other.")));
        peft.deleteAdapter("default");
        assertInstanceOf(Conv1D.class, model.module("h.0.attn.c_attn"), "the base layer is back");
        assertArrayEquals(base, TinyModels.logits(model, IDS), 0f);
    }

    @Test
    void modulesToSaveTrainFullyPerAdapterAndAreSavedUnderTheirBaseNames(@TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 4);
        float[] lnOriginal = model.namedParameters().get("ln_f.weight").toArray();
        PeftModel peft = PeftModel.create(model, k, new LoraConfig().r(2).modulesToSave(List.of("ln_f")), new Rng(0));
        assertTrue(model.namedTrainableParameters().containsKey("ln_f.weight"));
        Tensor ln = model.namedParameters().get("ln_f.weight");
        ln.copyFrom(new float[ln.numel()]); // "trained" to zeros
        try (AutoCloseable off = peft.disableAdapters()) {
            assertArrayEquals(lnOriginal, ln.toArray(), 0f, "disabled: original values");
        }
        assertEquals(0f, ln.toArray()[0]);
        peft.save(dir);
        Set<String> keys = SafetensorsReader.readAll(dir.resolve(AdapterFiles.WEIGHTS_FILE)).keySet();
        assertTrue(keys.contains("base_model.model.transformer.ln_f.weight"), keys.toString());
        assertTrue(keys.contains("base_model.model.transformer.ln_f.bias"), keys.toString());
        Map<String, Object> json = Json.object(Json.parse(Files.readString(dir.resolve(AdapterFiles.CONFIG_FILE)), "c"), "c");
        assertEquals(List.of("ln_f"), json.get("modules_to_save"));
        peft.deleteAdapter("default");
        assertArrayEquals(lnOriginal, ln.toArray(), 0f, "deleting the adapter restores the module");
    }

    @Test
    void biasAllTrainsAndSavesEveryBias(@TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 5);
        PeftModel peft = PeftModel.create(model, k, new LoraConfig().r(2).bias("all"), new Rng(0));
        long biases = model.namedParameters().keySet().stream().filter(n -> n.endsWith(".bias")).count();
        long trainableBiases = model.namedTrainableParameters().keySet().stream().filter(n -> n.endsWith(".bias")).count();
        assertEquals(biases, trainableBiases);
        peft.save(dir);
        Set<String> keys = SafetensorsReader.readAll(dir.resolve(AdapterFiles.WEIGHTS_FILE)).keySet();
        assertTrue(keys.contains("base_model.model.transformer.h.0.attn.c_attn.base_layer.bias"), keys.toString());
        assertTrue(keys.contains("base_model.model.transformer.h.1.mlp.c_fc.bias"), keys.toString());
    }

    @Test
    void trainableCountsEqualHfPeftsForGpt2SmallAndTheTinyModel() {
        // GPT-2 124M, LoRA r=8 on c_attn: HF prints "trainable params: 294,912 || all params: 124,734,720".
        Gpt2Config small = Gpt2Config.of(50257, 1024, 768, 12, 12);
        ParameterPlan plan = ParameterPlan.of(Gpt2Checkpoint.expectedShapes(small), new LoraConfig().r(8),
                ModelLayout.GPT2, true);
        assertEquals(12, plan.targets());
        assertEquals(294_912, plan.trainable());
        assertEquals(124_734_720, plan.total());

        Gpt2Model tiny = TinyModels.gpt2(k, 6);
        LoraConfig config = new LoraConfig().r(3).targetModules(TargetModules.names("c_attn", "c_fc"));
        ParameterPlan tinyPlan = ParameterPlan.of(Gpt2Checkpoint.expectedShapes(tiny.config()), config,
                ModelLayout.GPT2, true);
        ParameterSummary actual = PeftModel.create(tiny, k, config, new Rng(0)).summary();
        assertEquals(tinyPlan.trainable(), actual.trainable());
        assertEquals(tinyPlan.total(), actual.total());
        assertEquals(2 * 3 * ((8 + 24) + (8 + 32)), actual.trainable());
        assertTrue(actual.toString().startsWith("trainable params: 432 || all params: "), actual.toString());
    }

    @Test
    void adapterFilesFollowHfPeftAndAreWrittenAtomically(@TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 7);
        PeftModel peft = PeftModel.create(model, k, new LoraConfig().r(2).loraAlpha(16).useDora(true), new Rng(0));
        peft.save(dir);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(Set.of(AdapterFiles.CONFIG_FILE, AdapterFiles.WEIGHTS_FILE),
                    Set.copyOf(files.map(p -> p.getFileName().toString()).toList()), "no temporary files left");
        }
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(AdapterFiles.WEIGHTS_FILE))) {
            assertEquals(Map.of("format", "pt"), r.metadata());
            assertArrayEquals(new int[] {2, 8}, r.entry("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight").shape());
            assertArrayEquals(new int[] {24, 2}, r.entry("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight").shape());
            assertArrayEquals(new int[] {24}, r.entry("base_model.model.transformer.h.1.attn.c_attn.lora_magnitude_vector").shape());
            assertEquals(6, r.names().size());
        }
        Map<String, Object> json = Json.object(Json.parse(Files.readString(dir.resolve(AdapterFiles.CONFIG_FILE)), "c"), "c");
        assertEquals("LORA", json.get("peft_type"));
        assertEquals("CAUSAL_LM", json.get("task_type"));
        assertEquals(2L, json.get("r"));
        assertEquals(16L, json.get("lora_alpha"));
        assertEquals(true, json.get("use_dora"));
        assertEquals(true, json.get("fan_in_fan_out"));
        assertEquals(List.of("c_attn"), json.get("target_modules"));
    }

    @Test
    void loadingMismatchedKeysIsAnErrorListingThemAndAddsNothing(@TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 8);
        PeftModel.create(model, k, new LoraConfig().r(2), new Rng(0)).save(dir);
        Path weights = dir.resolve(AdapterFiles.WEIGHTS_FILE);
        List<HostTensor> renamed = new ArrayList<>();
        SafetensorsReader.readAll(weights).forEach((name, t) -> renamed.add(
                new HostTensor(name.replace("h.1.attn.c_attn.lora_B", "h.1.attn.c_proj.lora_B"), t.shape(), t.data())));
        SafetensorsWriter.write(weights, renamed);

        Gpt2Model fresh = TinyModels.gpt2(k, 8);
        PeftModel peft = new PeftModel(fresh, k);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> peft.loadAdapter(dir, "default", false));
        assertTrue(e.getMessage().contains("base_model.model.transformer.h.1.attn.c_attn.lora_B.weight")
                && e.getMessage().contains("base_model.model.transformer.h.1.attn.c_proj.lora_B.weight"), e.getMessage());
        assertTrue(peft.adapterNames().isEmpty());
        assertInstanceOf(Conv1D.class, fresh.module("h.1.attn.c_attn"), "a failed load leaves the model as it was");
    }

    @Test
    void mergeAndUnloadGivesAPlainModelSavedInItsOwnLayout(@TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 9);
        PeftModel peft = PeftModel.create(model, k, new LoraConfig().r(2), new Rng(0));
        Rng rng = new Rng(3);
        for (var layer : peft.layers().values()) {
            TinyModels.randomize(((LoraLayer) layer).loraB("default"), rng, 0, 0.5);
        }
        float[] adapted = TinyModels.logits(model, IDS);
        peft.mergeAndUnload();
        assertFalse(model.namedParameters().keySet().stream().anyMatch(n -> n.contains("lora") || n.contains("base_layer")));
        assertTrue(model.namedParameters().values().stream().allMatch(Tensor::requiresGrad));
        model.save(dir);
        Gpt2Model reloaded = Gpt2Model.fromPretrained(dir, k);
        assertTrue(TinyModels.maxAbsDiff(adapted, TinyModels.logits(reloaded, IDS)) < 2e-5);
        assertThrows(IllegalStateException.class, () -> peft.setAdapter("default"));
    }
}
