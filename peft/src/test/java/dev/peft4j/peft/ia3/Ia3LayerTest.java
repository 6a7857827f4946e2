package dev.peft4j.peft.ia3;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.core.AdapterFiles;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TensorSlot;
import dev.peft4j.peft.train.OptimizerSettings;
import dev.peft4j.peft.train.TrainingLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** (IA)³'s placement on GPT-2: k/v thirds of c_attn scale outputs, mlp.c_proj scales its input; HF's layout. */
class Ia3LayerTest {

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
    void outputAndInputScalingFollowTheVector() {
        Gpt2Model model = TinyModels.gpt2(k, 51);
        PeftModel peft = PeftModel.create(model, k, Ia3Config.gpt2Default(), new Rng(1));
        Ia3Layer attn = (Ia3Layer) peft.layers().get("h.0.attn.c_attn");
        Ia3Layer mlp = (Ia3Layer) peft.layers().get("h.0.mlp.c_proj");
        assertFalse(attn.isFeedforward(PeftModel.DEFAULT_ADAPTER));
        assertTrue(mlp.isFeedforward(PeftModel.DEFAULT_ADAPTER));
        Rng rng = new Rng(2);
        // A full vector, q third included (as an HF-trained adapter may hold): the forward uses all of it.
        Tensor la = attn.vector(PeftModel.DEFAULT_ADAPTER);
        Tensor lm = mlp.vector(PeftModel.DEFAULT_ADAPTER);
        la.copyFrom(rng.normal(la.numel(), 1, 0.5));
        lm.copyFrom(rng.normal(lm.numel(), 1, 0.5));
        try (var ignored = Autograd.noGrad()) {
            Tensor x = Tensor.of(k, rng.normal(2 * 3 * 8, 0, 1), 2, 3, 8);
            Tensor expected = attn.baseLayer().forward(x).mul(la.reshape(24));
            assertArrayEquals(expected.toArray(), attn.forward(x).toArray(), 1e-6f);
            Tensor h = Tensor.of(k, rng.normal(2 * 3 * 32, 0, 1), 2, 3, 32);
            Tensor expectedFf = mlp.baseLayer().forward(h.mul(lm.reshape(32)));
            assertArrayEquals(expectedFf.toArray(), mlp.forward(h).toArray(), 1e-6f);
        }
    }

    @Test
    void onlyTheKeyAndValueThirdsOfTheFusedProjectionTrain(@TempDir Path dir) throws Exception {
        Gpt2Model model = TinyModels.gpt2(k, 52);
        PeftModel peft = PeftModel.create(model, k, Ia3Config.gpt2Default(), new Rng(1));
        Map<String, Tensor> trainable = peft.model().namedTrainableParameters();
        assertArrayEquals(new int[] {16, 1}, trainable.get("h.0.attn.c_attn.ia3_l.default").shape());
        assertArrayEquals(new int[] {1, 32}, trainable.get("h.0.mlp.c_proj.ia3_l.default").shape());
        assertEquals(2 * (16 + 32), peft.summary().trainable());
        int[] ids = TinyModels.ids(3);
        List<Float> losses = TrainingLoop.run(peft::trainableParameters, () -> null, b -> TinyModels.loss(model, ids),
                new OptimizerSettings("adamw", 5e-2f, 0f, 0, "constant", 0, 10), null);
        assertTrue(losses.getLast() < losses.getFirst());

        Map<String, TensorSlot> slots = peft.savedSlots(PeftModel.DEFAULT_ADAPTER);
        String key = "base_model.model.transformer.h.0.attn.c_attn.ia3_l";
        assertArrayEquals(new int[] {24, 1}, slots.get(key).shape());
        float[] saved = slots.get(key).values();
        for (int i = 0; i < 8; i++) {
            assertEquals(1f, saved[i], 0f, "q row " + i + " must stay the identity");
        }
        for (int i = 8; i < 24; i++) {
            assertNotEquals(1f, saved[i], "k/v row " + i + " must have trained");
        }
        assertArrayEquals(new int[] {1, 32}, slots.get("base_model.model.transformer.h.1.mlp.c_proj.ia3_l").shape());
        assertEquals(4, slots.size());

        peft.save(dir);
        Map<String, Object> json = Json.object(Json.parse(Files.readString(dir.resolve(AdapterFiles.CONFIG_FILE)), "t"), "t");
        assertEquals("IA3", json.get("peft_type"));
        assertEquals(List.of("mlp.c_proj"), json.get("feedforward_modules"));
        assertEquals(List.of("c_attn", "mlp.c_proj"), json.get("target_modules"));
        assertEquals(true, json.get("init_ia3_weights"));
        assertEquals(true, json.get("fan_in_fan_out"));
        assertFalse(json.containsKey("bias"));
    }
}
