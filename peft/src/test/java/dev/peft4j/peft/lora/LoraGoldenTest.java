package dev.peft4j.peft.lora;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.engine.optim.Sgd;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.core.PeftModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LoRA (r=4, alpha=8, nonzero A and B) on the tiny GPT-2's c_attn against plain PyTorch in float64
 * (tools/golden/make_lora_golden.py): the adapter is loaded from its HF PEFT files, then loss, every
 * lora_A/lora_B gradient, merged Conv1D weights, and the adapter after one SGD and one AdamW step.
 */
class LoraGoldenTest {

    private static final Path DIR = Path.of("src", "test", "resources", "lora-golden");
    private static Kernels k;
    private static Map<String, HostTensor> golden;
    private static int[] ids;
    private static int[] labels;
    private Gpt2Model model;
    private PeftModel peft;

    @BeforeAll
    static void readGolden() throws Exception {
        k = new CpuKernels();
        golden = SafetensorsReader.readAll(DIR.resolve("golden.safetensors"));
        ids = ints(golden.get("input_ids").data());
        labels = ints(golden.get("labels").data());
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    @BeforeEach
    void load() throws Exception {
        model = Gpt2Model.fromPretrained(TinyModels.goldenCheckpoint(), k);
        peft = PeftModel.load(model, k, DIR.resolve("adapter"), true);
    }

    private static int[] ints(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (int) v[i];
        }
        return out;
    }

    private Tensor loss() {
        int[] shape = golden.get("input_ids").shape();
        return model.loss(ids, labels, shape[0], shape[1]);
    }

    private Map<String, Tensor> adapterTensors() {
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        for (var e : peft.layers().entrySet()) {
            LoraLayer l = (LoraLayer) e.getValue();
            String key = "base_model.model.transformer." + e.getKey() + ".";
            out.put(key + "lora_A.weight", l.loraA(PeftModel.DEFAULT_ADAPTER));
            out.put(key + "lora_B.weight", l.loraB(PeftModel.DEFAULT_ADAPTER));
        }
        return out;
    }

    private static double maxDiff(String goldenKey, float[] actual) {
        return TinyModels.maxAbsDiff(golden.get(goldenKey).data(), actual);
    }

    @Test
    void lossAndEveryLoraGradientMatchPyTorch() {
        Tensor loss = loss();
        double lossDiff = Math.abs(loss.item() - golden.get("loss").data()[0]);
        System.out.printf("LoRA golden: loss diff %.3g%n", lossDiff);
        assertTrue(lossDiff < 2e-5, "loss differs by " + lossDiff);
        loss.backward();
        Map<String, Tensor> tensors = adapterTensors();
        assertEquals(4, tensors.size());
        for (var e : tensors.entrySet()) {
            double d = maxDiff("grad." + e.getKey(), e.getValue().grad().toArray());
            System.out.printf("LoRA golden: grad %s max diff %.3g%n", e.getKey(), d);
            assertTrue(d < 2e-5, "grad of " + e.getKey() + " differs by " + d);
        }
    }

    @Test
    void mergedConv1dWeightsMatchPyTorch() {
        peft.merge();
        for (int i = 0; i < 2; i++) {
            String w = "h." + i + ".attn.c_attn.weight";
            float[] merged = model.namedParameters().get("h." + i + ".attn.c_attn.base_layer.weight").toArray();
            double d = maxDiff("merged." + w, merged);
            System.out.printf("LoRA golden: merged %s max diff %.3g%n", w, d);
            assertTrue(d < 1e-6, w + " merged differs by " + d);
        }
        float[] mergedLoss = {loss().item()};
        assertEquals(golden.get("loss").data()[0], mergedLoss[0], 2e-5);
    }

    @Test
    void oneSgdStepMatchesPyTorch() {
        List<Tensor> params = List.copyOf(adapterTensors().values());
        Sgd sgd = new Sgd(params, 0.1f);
        loss().backward();
        sgd.step();
        for (var e : adapterTensors().entrySet()) {
            double d = maxDiff("sgd." + e.getKey(), e.getValue().toArray());
            System.out.printf("LoRA golden: SGD %s max diff %.3g%n", e.getKey(), d);
            assertTrue(d < 1e-5, "after SGD " + e.getKey() + " differs by " + d);
        }
    }

    @Test
    void oneAdamWStepMatchesPyTorch() {
        List<Tensor> params = List.copyOf(adapterTensors().values());
        AdamW adamW = new AdamW(params, 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f);
        loss().backward();
        adamW.step();
        for (var e : adapterTensors().entrySet()) {
            // AdamW's first step moves each entry by about lr·sign(g): any sign or moment error shows at 1e-2.
            double d = maxDiff("adamw." + e.getKey(), e.getValue().toArray());
            System.out.printf("LoRA golden: AdamW %s max diff %.3g%n", e.getKey(), d);
            assertTrue(d < 1e-5, "after AdamW " + e.getKey() + " differs by " + d);
        }
    }
}
