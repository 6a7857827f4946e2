package dev.peft4j.peft.prompt;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.gpt2.Gpt2KvCache;
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
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Prompt and prefix tuning against the model they must be equivalent to: virtual tokens made from real
 * tokens' embeddings (prompt) or real tokens' keys and values (prefix) must give exactly what the base model
 * gives with those tokens written in front of the input, with HF's position ids and label padding.
 */
class PromptMethodsTest {

    private static Kernels k;
    private static final int[] LEAD = {4, 9, 2};
    private static final int[] IDS = TinyModels.ids(31);

    @BeforeAll
    static void setUp() {
        k = new CpuKernels();
    }

    @AfterAll
    static void tearDown() {
        k.close();
    }

    /** Each row of {@code ids} [BATCH, SEQ] with {@link #LEAD} in front. */
    private static int[] withLead(int[] ids) {
        int p = LEAD.length;
        int s = TinyModels.SEQ;
        int[] out = new int[TinyModels.BATCH * (p + s)];
        for (int b = 0; b < TinyModels.BATCH; b++) {
            System.arraycopy(LEAD, 0, out, b * (p + s), p);
            System.arraycopy(ids, b * s, out, b * (p + s) + p, s);
        }
        return out;
    }

    private static float[] logits(Gpt2Model m, int[] ids, int seq) {
        try (var ignored = Autograd.noGrad()) {
            return m.forward(ids, TinyModels.BATCH, seq).toArray();
        }
    }

    @Test
    void textInitPromptEqualsTheTextWrittenBeforeTheInput() {
        Gpt2Model model = TinyModels.gpt2(k, 41);
        int p = LEAD.length;
        int full = p + TinyModels.SEQ;
        float[] expected = logits(model, withLead(IDS), full);
        int[] labels = withLead(IDS);
        for (int b = 0; b < TinyModels.BATCH; b++) {
            Arrays.fill(labels, b * full, b * full + p, Gpt2Model.IGNORE_INDEX);
        }
        float expectedLoss;
        try (var ignored = Autograd.noGrad()) {
            expectedLoss = model.loss(withLead(IDS), labels, TinyModels.BATCH, full).item();
        }

        PeftModel peft = PeftModel.create(model, k, new PromptTuningConfig().promptTuningInit("TEXT")
                .initTokenIds(LEAD).numVirtualTokens(p), new Rng(1));
        float[] got = logits(model, IDS, TinyModels.SEQ);
        assertEquals(expected.length, got.length, "logits cover the virtual positions too, as HF's");
        assertTrue(TinyModels.maxAbsDiff(expected, got) < 1e-5, "differ by " + TinyModels.maxAbsDiff(expected, got));
        // HF pads the labels with -100 over the virtual positions: the last one scores the first real token.
        assertEquals(expectedLoss, TinyModels.lossValue(model, IDS), 1e-5);
        assertEquals(1, peft.trainableParameters().size());
    }

    @Test
    void textInitRepeatsOrCutsTheTextToTheVirtualTokens() {
        assertArrayEquals(new int[] {4, 9, 4, 9, 4}, PromptInit.repeatToLength(new int[] {4, 9}, 5));
        assertArrayEquals(new int[] {4, 9}, PromptInit.repeatToLength(new int[] {4, 9, 2}, 2));
    }

    @Test
    void prefixFromRealKeysAndValuesEqualsTheTokensWrittenBeforeTheInput() {
        Gpt2Model model = TinyModels.gpt2(k, 42);
        int p = LEAD.length;
        int s = TinyModels.SEQ;
        int c = model.config().nEmbd();
        int layers = model.config().nLayer();
        int heads = model.config().nHead();
        int d = c / heads;
        float[] expected = logits(model, withLead(IDS), p + s);
        // HF's past_key_values table [P, L·2·C] from the base model's cache of the lead tokens.
        float[] table = new float[p * layers * 2 * c];
        try (var ignored = Autograd.noGrad()) {
            Gpt2KvCache cache = model.newKvCache(1);
            model.forward(LEAD, 1, p, cache);
            for (int l = 0; l < layers; l++) {
                float[][] kv = {cache.keys(l).toArray(), cache.values(l).toArray()}; // [1, H, P, D]
                for (int j = 0; j < 2; j++) {
                    for (int h = 0; h < heads; h++) {
                        for (int t = 0; t < p; t++) {
                            for (int e = 0; e < d; e++) {
                                table[t * layers * 2 * c + (2 * l + j) * c + h * d + e] = kv[j][(h * p + t) * d + e];
                            }
                        }
                    }
                }
            }
        }
        PeftModel peft = PeftModel.create(model, k, new PrefixTuningConfig().numVirtualTokens(p).numLayers(layers)
                .numAttentionHeads(heads), new Rng(1));
        Tensor prefix = ((VirtualTokenLayer) peft.layers().get("wte")).table(PeftModel.DEFAULT_ADAPTER);
        assertArrayEquals(new int[] {p, layers * 2 * c}, prefix.shape());
        prefix.copyFrom(table);
        float[] got = logits(model, IDS, s);
        assertEquals(TinyModels.BATCH * s * TinyModels.VOCAB, got.length, "a prefix adds no output positions");
        float[] expectedTail = new float[got.length];
        int v = TinyModels.VOCAB;
        for (int b = 0; b < TinyModels.BATCH; b++) {
            System.arraycopy(expected, (b * (p + s) + p) * v, expectedTail, b * s * v, s * v);
        }
        assertTrue(TinyModels.maxAbsDiff(expectedTail, got) < 1e-5, "differ by " + TinyModels.maxAbsDiff(expectedTail, got));
    }

    @Test
    void generationWithACacheMatchesGenerationWithout() {
        for (boolean prefix : new boolean[] {false, true}) {
            Gpt2Model model = TinyModels.gpt2(k, 43);
            PeftModel.create(model, k, prefix ? new PrefixTuningConfig().numVirtualTokens(2).numLayers(2).numAttentionHeads(2)
                    : new PromptTuningConfig().numVirtualTokens(2), new Rng(4));
            Generator g = new Generator(model);
            int[] cached = g.generate(new int[] {1, 5, 7}, GenerationConfig.greedy(5), true);
            int[] uncached = g.generate(new int[] {1, 5, 7}, GenerationConfig.greedy(5), false);
            assertArrayEquals(uncached, cached, prefix ? "prefix" : "prompt");
        }
    }

    @Test
    void savedAsHfPromptEmbeddingsWithGeometryFromTheBaseCheckpoint(@TempDir Path dir) throws Exception {
        Path ckpt = TinyModels.goldenCheckpoint();
        Gpt2Model model = Gpt2Model.fromPretrained(ckpt, k);
        PeftModel peft = PeftModel.create(model, k, new PrefixTuningConfig().numVirtualTokens(4)
                .baseModelNameOrPath(ckpt.toString()), new Rng(2));
        peft.save(dir);
        Map<String, HostTensor> file = SafetensorsReader.readAll(dir.resolve(AdapterFiles.WEIGHTS_FILE));
        assertEquals(java.util.Set.of("prompt_embeddings"), file.keySet());
        assertArrayEquals(new int[] {4, 2 * 2 * 32}, file.get("prompt_embeddings").shape());
        Map<String, Object> json = Json.object(Json.parse(Files.readString(dir.resolve(AdapterFiles.CONFIG_FILE)), "t"), "t");
        assertEquals("PREFIX_TUNING", json.get("peft_type"));
        assertEquals(2L, json.get("num_layers"));
        assertEquals(4L, json.get("num_attention_heads"));
        assertEquals(32L, json.get("token_dim"));
        assertEquals(false, json.get("prefix_projection"));
        assertFalse(json.containsKey("target_modules"), "prompt methods name no target modules");

        Path promptDir = dir.resolve("prompt");
        Gpt2Model other = Gpt2Model.fromPretrained(ckpt, k);
        PeftModel.create(other, k, new PromptTuningConfig().numVirtualTokens(5), new Rng(2)).save(promptDir);
        Map<String, HostTensor> promptFile = SafetensorsReader.readAll(promptDir.resolve(AdapterFiles.WEIGHTS_FILE));
        assertArrayEquals(new int[] {5, 32}, promptFile.get("prompt_embeddings").shape());
        Map<String, Object> pj = Json.object(Json.parse(Files.readString(promptDir.resolve(AdapterFiles.CONFIG_FILE)), "t"), "t");
        assertEquals("PROMPT_TUNING", pj.get("peft_type"));
        assertEquals(5L, pj.get("num_virtual_tokens"));
        assertEquals("RANDOM", pj.get("prompt_tuning_init"));
    }
}
