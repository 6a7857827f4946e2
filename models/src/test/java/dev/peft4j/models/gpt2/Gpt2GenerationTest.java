package dev.peft4j.models.gpt2;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The KV cache must not change what the model computes: cached and uncached decoding agree. */
class Gpt2GenerationTest {

    private static final Kernels K = new CpuKernels();
    private static Gpt2Model model;

    @BeforeAll
    static void load() throws Exception {
        model = Gpt2Model.fromPretrained(Gpt2ConfigTest.tinyDir(), K); // non-trivial weights, peaked logits
    }

    @Test
    @SuppressWarnings("try")
    void cachedLogitsEqualFullSequenceLogits() {
        int[] ids = {5, 17, 3, 96, 40, 2, 2, 71, 12, 60};
        try (Autograd.Scope ignored = Autograd.noGrad()) {
            float[] full = model.forward(ids, 1, ids.length).toArray();
            // Prefill 4, then a chunk of 3 (masked attention with an offset), then one token at a time.
            Gpt2KvCache cache = model.newKvCache(1);
            float[] pieces = concat(
                    model.forward(Arrays.copyOfRange(ids, 0, 4), 1, 4, cache).toArray(),
                    model.forward(Arrays.copyOfRange(ids, 4, 7), 1, 3, cache).toArray(),
                    model.forward(Arrays.copyOfRange(ids, 7, 8), 1, 1, cache).toArray(),
                    model.forward(Arrays.copyOfRange(ids, 8, 9), 1, 1, cache).toArray(),
                    model.forward(Arrays.copyOfRange(ids, 9, 10), 1, 1, cache).toArray());
            assertEquals(10, cache.length());
            double diff = Gpt2GoldenTest.maxAbsDiff(full, pieces);
            assertTrue(diff < 1e-5, "cached vs full logits max |diff| " + diff);
        }
    }

    @Test
    void greedyAndSampledGenerationAgreeWithAndWithoutCache() {
        Generator gen = new Generator(model);
        int[] prompt = {5, 17, 3};
        for (GenerationConfig cfg : new GenerationConfig[]{
                GenerationConfig.greedy(20),
                GenerationConfig.sampling(20, 0.9f, 0, 1f, 7),
                GenerationConfig.sampling(20, 1.3f, 10, 0.9f, 8)}) {
            int[] cached = gen.generate(prompt, cfg, true);
            int[] uncached = gen.generate(prompt, cfg, false);
            assertEquals(prompt.length + 20, cached.length);
            assertArrayEquals(uncached, cached, cfg.toString());
            assertArrayEquals(prompt, Arrays.copyOf(cached, prompt.length));
        }
        // Different seeds give different samples (with 97 tokens and temperature 1.3 a clash is ~impossible).
        int[] a = gen.generate(prompt, GenerationConfig.sampling(20, 1.3f, 0, 1f, 1), true);
        int[] b = gen.generate(prompt, GenerationConfig.sampling(20, 1.3f, 0, 1f, 2), true);
        assertTrue(!Arrays.equals(a, b), "seeds 1 and 2 sampled the same 20 tokens");
    }

    @Test
    void greedyGenerationFollowsTheArgmax() {
        int[] out = new Generator(model).generate(new int[]{1, 2}, GenerationConfig.greedy(3), true);
        for (int t = 2; t < out.length; t++) {
            float[] logits = model.forward(Arrays.copyOf(out, t), 1, t).toArray();
            float[] last = Arrays.copyOfRange(logits, (t - 1) * 97, t * 97);
            int best = 0;
            for (int v = 1; v < 97; v++) {
                if (last[v] > last[best]) {
                    best = v;
                }
            }
            assertEquals(best, out[t], "token " + t);
        }
    }

    @Test
    void stopsAtEosAndRejectsOverlongRequests() {
        Generator gen = new Generator(model);
        int[] greedy = gen.generate(new int[]{5, 17, 3}, GenerationConfig.greedy(10), true);
        int eos = greedy[4]; // the second generated token
        int[] stopped = gen.generate(new int[]{5, 17, 3}, GenerationConfig.greedy(10).withEos(eos), true);
        int firstEos = 3;
        while (stopped[firstEos] != eos) {
            firstEos++;
        }
        assertEquals(firstEos + 1, stopped.length, "generation stops right after the EOS token");
        assertThrows(IllegalArgumentException.class, () -> gen.generate(new int[]{1}, GenerationConfig.greedy(32), true));
        assertThrows(IllegalArgumentException.class, () -> gen.generate(new int[0], GenerationConfig.greedy(1), true));
    }

    @Test
    void cacheRejectsAnotherBatchSize() {
        Gpt2KvCache cache = model.newKvCache(1);
        Tensor ignored = model.forward(new int[]{1, 2, 3, 4}, 2, 2, null);
        assertEquals(2, ignored.dim(0));
        assertThrows(IllegalArgumentException.class, () -> model.forward(new int[]{1, 2, 3, 4}, 2, 2, cache));
        assertEquals(0, new Gpt2Model(model.config(), K, new Rng(0)).newKvCache(3).length());
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
