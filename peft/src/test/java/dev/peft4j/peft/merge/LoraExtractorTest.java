package dev.peft4j.peft.merge;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.json.Json;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.SingularOps_DDRM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoraExtractorTest {

    @Test
    void aRankRDeltaIsRecoveredExactly() {
        Rng rng = new Rng(11);
        int out = 6;
        int in = 5;
        float[] w0 = rng.normal(out * in, 0, 1);
        float[] delta = matmul(rng.normal(out * 2, 0, 1), rng.normal(2 * in, 0, 1), out, 2, in);
        StateDict base = linear("base", "layer.fc.weight", w0, out, in);
        StateDict ft = linear("ft", "layer.fc.weight", add(w0, delta), out, in);

        LoraExtraction x = LoraExtractor.extract(base, ft, 2, "", null);
        assertEquals(1, x.layers().size());
        assertTrue(x.layers().get(0).relativeError() < 1e-5, "error " + x.layers().get(0).relativeError());
        float[] a = tensor(x, "base_model.model.layer.fc.lora_A.weight", 2, in);
        float[] b = tensor(x, "base_model.model.layer.fc.lora_B.weight", out, 2);
        float[] rebuilt = add(w0, matmul(b, a, out, 2, in));
        assertArrayEquals(ft.get("layer.fc.weight").data(), rebuilt, 1e-5f);
    }

    @Test
    void aFullRankDeltaMeetsTheEckartYoungBound() {
        Rng rng = new Rng(12);
        int out = 7;
        int in = 5;
        float[] w0 = rng.normal(out * in, 0, 1);
        float[] w1 = rng.normal(out * in, 0, 1);
        LoraExtraction x = LoraExtractor.extract(linear("base", "fc.weight", w0, out, in),
                linear("ft", "fc.weight", w1, out, in), 2, "", null);

        DMatrixRMaj delta = new DMatrixRMaj(out, in);
        for (int i = 0; i < out * in; i++) {
            delta.data[i] = (double) w1[i] - w0[i];
        }
        double[] sigma = SingularOps_DDRM.singularValues(delta);
        Arrays.sort(sigma);
        double total = 0;
        double tail = 0;
        for (int j = 0; j < sigma.length; j++) {
            total += sigma[j] * sigma[j];
            if (j < sigma.length - 2) { // all but the two largest
                tail += sigma[j] * sigma[j];
            }
        }
        assertEquals(Math.sqrt(tail / total), x.layers().get(0).relativeError(), 1e-5);
        assertTrue(x.layers().get(0).relativeError() > 0.1, "a random 7x5 matrix is far from rank 2");
        assertEquals(Math.sqrt(total), x.layers().get(0).deltaNorm(), 1e-4);
    }

    @Test
    void gpt2Conv1dLayersUseFanInFanOutAndTransformerPaths(@TempDir Path dir) throws Exception {
        Rng rng = new Rng(13);
        int d = 4;
        StateDict base = gpt2Like("base", rng, 0);
        StateDict ft = gpt2Like("ft", new Rng(13), 1);
        String prefix = LoraTargets.modulePrefixFor(base, Map.of());
        assertEquals("transformer.", prefix);

        LoraExtraction x = LoraExtractor.extract(base, ft, d, prefix, "tiny-gpt2");
        String key = "base_model.model.transformer.h.0.attn.c_attn";
        float[] a = tensor(x, key + ".lora_A.weight", d, d);          // [r, in]
        float[] b = tensor(x, key + ".lora_B.weight", 3 * d, d);      // [out, r]
        float[] ba = matmul(b, a, 3 * d, d, d);                        // [out, in]
        float[] storedDelta = sub(ft.get("h.0.attn.c_attn.weight").data(), base.get("h.0.attn.c_attn.weight").data());
        for (int i = 0; i < d; i++) {
            for (int o = 0; o < 3 * d; o++) {
                assertEquals(storedDelta[i * 3 * d + o], ba[o * d + i], 1e-5, "in " + i + ", out " + o);
            }
        }
        tensor(x, "base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight", d, d);
        LoraExtraction.Layer unchanged = x.layers().stream().filter(l -> l.tensor().equals("h.0.mlp.c_fc.weight"))
                .findFirst().orElseThrow();
        assertEquals(0.0, unchanged.deltaNorm());
        assertEquals(List.of("wte.weight", "h.0.attn.c_attn.bias"), x.uncaptured());
        assertEquals(true, x.adapterConfig().get("fan_in_fan_out"));
        assertEquals(List.of("c_attn", "c_fc"), x.adapterConfig().get("target_modules"));

        x.save(dir);
        Map<String, HostTensor> saved = SafetensorsReader.readAll(dir.resolve("adapter_model.safetensors"));
        assertEquals(4, saved.size());
        for (HostTensor t : x.tensors()) {
            assertEquals(t, saved.get(t.name()));
        }
        Map<String, Object> config = Json.object(Json.parse(Files.readString(dir.resolve("adapter_config.json")),
                "adapter_config.json"), "adapter_config.json");
        assertEquals("LORA", config.get("peft_type"));
        assertEquals((long) d, config.get("r"));
        assertEquals((long) d, config.get("lora_alpha"));
        assertEquals("tiny-gpt2", config.get("base_model_name_or_path"));
    }

    @Test
    void rejectsMixedLayoutsAndAnOversizedRank() {
        StateDict mixed = new StateDict("mixed", List.of(new HostTensor("h.0.attn.c_attn.weight", new float[6], 2, 3),
                new HostTensor("score.weight", new float[6], 3, 2)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LoraExtractor.extract(mixed, mixed, 1, "", null));
        assertTrue(e.getMessage().contains("score.weight"), e.getMessage());

        StateDict small = linear("small", "fc.weight", new float[6], 2, 3);
        e = assertThrows(IllegalArgumentException.class, () -> LoraExtractor.extract(small, small, 3, "", null));
        assertTrue(e.getMessage().contains("fc.weight") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void prefixIsOnlyAddedForUnprefixedGpt2() {
        StateDict llama = linear("llama", "model.layers.0.self_attn.q_proj.weight", new float[4], 2, 2);
        assertEquals("", LoraTargets.modulePrefixFor(llama, Map.of("model_type", "llama")));
        StateDict prefixed = linear("gpt2", "transformer.h.0.attn.c_attn.weight", new float[6], 2, 3);
        assertEquals("", LoraTargets.modulePrefixFor(prefixed, Map.of("model_type", "gpt2")));
        assertFalse(LoraTargets.isTarget("lm_head.weight", new int[]{5, 2}));
        assertFalse(LoraTargets.isTarget("h.0.ln_1.weight", new int[]{4}));
    }

    /** wte [10, 4], c_attn [4, 12] + bias, c_fc [4, 4]; {@code change} 1 perturbs all but c_fc. */
    private static StateDict gpt2Like(String source, Rng rng, int change) {
        int d = 4;
        float[] wte = rng.normal(10 * d, 0, 1);
        float[] attn = rng.normal(d * 3 * d, 0, 1);
        float[] bias = rng.normal(3 * d, 0, 1);
        float[] fc = rng.normal(d * d, 0, 1);
        if (change != 0) {
            Rng noise = new Rng(99);
            wte = add(wte, noise.normal(wte.length, 0, 0.1));
            attn = add(attn, noise.normal(attn.length, 0, 0.1));
            bias = add(bias, noise.normal(bias.length, 0, 0.1));
        }
        return new StateDict(source, List.of(new HostTensor("wte.weight", wte, 10, d),
                new HostTensor("h.0.attn.c_attn.weight", attn, d, 3 * d),
                new HostTensor("h.0.attn.c_attn.bias", bias, 3 * d),
                new HostTensor("h.0.mlp.c_fc.weight", fc, d, d)));
    }

    private static StateDict linear(String source, String name, float[] w, int out, int in) {
        return new StateDict(source, List.of(new HostTensor(name, w, out, in)));
    }

    private static float[] tensor(LoraExtraction x, String name, int... shape) {
        HostTensor t = x.tensors().stream().filter(h -> h.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no tensor " + name + " among " + x.tensors()));
        assertArrayEquals(shape, t.shape(), name);
        return t.data();
    }

    private static float[] matmul(float[] a, float[] b, int m, int k, int n) {
        float[] c = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[i * k + p] * b[p * n + j];
                }
                c[i * n + j] = (float) s;
            }
        }
        return c;
    }

    private static float[] add(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] + b[i];
        }
        return out;
    }

    private static float[] sub(float[] a, float[] b) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }
}
