package dev.peft4j.peft.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.nn.FrozenBf16;
import dev.peft4j.engine.nn.Linear;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.Bf16;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TargetModules;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A tiny GPT-2 whose frozen base is cast to bf16 after LoRA/DoRA injection: it computes what a float32 model
 * holding the bf16-rounded base computes (logits, loss, adapter gradients), trains, and refuses to merge.
 */
class Bf16BaseTest {

    private static final Kernels K = new CpuKernels();

    private static float[] rounded(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Bf16.widen(Bf16.round(a[i]));
        }
        return r;
    }

    /**
     * Tiny GPT-2 with an adapter whose B is random (so A gets a gradient too). With {@code roundBase}, the frozen
     * matrices are then rounded to bf16 values in place, in float32: what the cast does, minus the storage (so
     * DoRA's magnitude and cached norms come from the float32 base in both, as they do in a bf16 run).
     */
    private static PeftModel adapted(boolean dora, boolean roundBase) {
        Gpt2Model m = TinyModels.gpt2(K, 5);
        LoraConfig config = new LoraConfig().r(4).loraAlpha(8).useDora(dora)
                .targetModules(new TargetModules.Names(List.of("c_attn", "c_fc")));
        PeftModel peft = PeftModel.create(m, K, config, new Rng(11));
        Rng rng = new Rng(12);
        peft.model().namedTrainableParameters().forEach((name, t) -> {
            if (name.contains("lora_B")) {
                TinyModels.randomize(t, rng, 0, 0.2);
            }
        });
        if (roundBase) {
            m.namedParameters().forEach((name, t) -> {
                if (t.rank() >= 2 && !t.requiresGrad()) {
                    t.copyFrom(rounded(t.toArray()));
                }
            });
        }
        return peft;
    }

    private static void assertRelClose(float[] want, float[] got, double rtol, String what) {
        double scale = 0;
        for (float v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        double diff = TinyModels.maxAbsDiff(want, got);
        assertTrue(diff <= rtol * scale, what + ": max |diff| " + diff + " vs scale " + scale);
    }

    @Test
    void bf16BaseMatchesTheRoundedF32BaseForLossLogitsAndAdapterGradients() {
        int[] ids = TinyModels.ids(3);
        for (boolean dora : new boolean[] {false, true}) {
            PeftModel f32 = adapted(dora, false);
            float[] f32Logits = TinyModels.logits((Gpt2Model) f32.model(), ids);
            PeftModel ref = adapted(dora, true);
            PeftModel bf16 = adapted(dora, false);
            FrozenBf16.Result cast = FrozenBf16.cast(bf16.model());
            // wte, wpe, and per layer c_attn, attn.c_proj, c_fc, mlp.c_proj; the adapters stay f32
            assertEquals(2 + 2 * 4, cast.tensors());
            Gpt2Model mRef = (Gpt2Model) ref.model();
            Gpt2Model mH = (Gpt2Model) bf16.model();
            float[] hLogits = TinyModels.logits(mH, ids);
            assertRelClose(TinyModels.logits(mRef, ids), hLogits, 1e-5, "logits vs rounded f32 base");
            assertRelClose(f32Logits, hLogits, 2e-2, "logits vs f32 base (bf16 tolerance)");
            TinyModels.loss(mRef, ids).backward();
            TinyModels.loss(mH, ids).backward();
            Map<String, Tensor> gRef = mRef.namedTrainableParameters();
            Map<String, Tensor> gH = mH.namedTrainableParameters();
            assertEquals(gRef.keySet(), gH.keySet());
            assertTrue(gRef.keySet().stream().anyMatch(n -> n.contains("lora_A")));
            for (String name : gRef.keySet()) {
                assertRelClose(gRef.get(name).grad().toArray(), gH.get(name).grad().toArray(), 1e-5,
                        (dora ? "dora " : "lora ") + name + " gradient");
            }
        }
    }

    @Test
    void trainingOnABf16BaseLowersTheLossAndMergeIsRefused() {
        int[] ids = TinyModels.ids(4);
        PeftModel peft = adapted(false, false);
        Gpt2Model m = (Gpt2Model) peft.model();
        FrozenBf16.cast(m);
        float before = TinyModels.lossValue(m, ids);
        AdamW opt = new AdamW(peft.trainableParameters(), 1e-2f, 0.9f, 0.999f, 1e-8f, 0f);
        for (int i = 0; i < 5; i++) {
            opt.zeroGrad();
            TinyModels.loss(m, ids).backward();
            opt.step();
        }
        float after = TinyModels.lossValue(m, ids);
        assertTrue(after < before, before + " -> " + after);
        IllegalStateException merge = assertThrows(IllegalStateException.class, peft::merge);
        assertTrue(merge.getMessage().contains("bf16") && merge.getMessage().contains("f32"), merge.getMessage());
        assertThrows(IllegalStateException.class, peft::mergeAndUnload);
        assertEquals(after, TinyModels.lossValue(m, ids)); // the refused merge changed nothing
        assertThrows(IllegalStateException.class, m::unfreeze);
    }

    @Test
    void doraNormOfABf16LinearWeightEqualsThatOfTheRoundedWeight() {
        Rng rng = new Rng(9);
        int in = 70;
        int out = 33;
        int r = 4;
        Tensor a = Tensor.of(K, rng.normal(r * in, 0, 1), r, in);
        Tensor b = Tensor.of(K, rng.normal(out * r, 0, 1), out, r);
        float[] w = rng.normal(out * in, 0, 1);
        Linear f32 = new Linear(Tensor.of(K, rounded(w), out, in), null);
        Linear h = new Linear(Tensor.of(K, w, out, in), null);
        h.freeze();
        FrozenBf16.cast(h);
        assertTrue(h.weight().isBf16());
        float[] want = DoraNorm.rowNorms(f32, DoraNorm.baseRowNormsSquared(f32), a, b, 1.5);
        float[] got = DoraNorm.rowNorms(h, DoraNorm.baseRowNormsSquared(h), a, b, 1.5);
        for (int o = 0; o < out; o++) {
            assertEquals(want[o], got[o], 1e-5 * want[o], "row " + o);
        }
    }
}
