package dev.peft4j.models.gpt2;

import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Key/shape validation of HF GPT-2 checkpoints, on the tiny fixture and variants of it written here. */
class Gpt2CheckpointTest {

    private static Gpt2Config config;
    private static Map<String, HostTensor> weights;

    @TempDir
    Path tmp;

    @BeforeAll
    static void readFixture() throws Exception {
        config = Gpt2Checkpoint.readConfig(Gpt2ConfigTest.tinyDir());
        weights = read(Gpt2ConfigTest.tinyDir(), config);
    }

    static Map<String, HostTensor> read(Path dir, Gpt2Config c) throws IOException {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        Gpt2Checkpoint.readWeights(dir, c, out::put);
        return out;
    }

    @Test
    void fixtureHoldsEveryExpectedTensor() {
        assertEquals(4 + 12 * config.nLayer(), weights.size());
        assertArrayEquals(new int[]{32, 96}, weights.get("h.0.attn.c_attn.weight").shape(), "Conv1D is [in, out]");
        assertArrayEquals(new int[]{97, 32}, weights.get("wte.weight").shape());
    }

    @Test
    void acceptsTransformerPrefixTiedHeadAndMaskBuffers() throws IOException {
        List<HostTensor> stored = new ArrayList<>();
        for (HostTensor t : weights.values()) {
            stored.add(new HostTensor("transformer." + t.name(), t.shape(), t.data()));
        }
        stored.add(new HostTensor("lm_head.weight", weights.get("wte.weight").shape(), weights.get("wte.weight").data()));
        stored.add(new HostTensor("transformer.h.0.attn.bias", new float[4], 1, 1, 2, 2));
        writeCheckpoint(tmp, stored);
        Map<String, HostTensor> back = new LinkedHashMap<>();
        String prefix = Gpt2Checkpoint.readWeights(tmp, config, back::put);
        assertEquals("transformer.", prefix);
        assertEquals(weights.keySet(), back.keySet());
        assertArrayEquals(weights.get("h.1.mlp.c_fc.weight").data(), back.get("h.1.mlp.c_fc.weight").data());
    }

    @Test
    void readsShardedCheckpoints() throws IOException {
        List<HostTensor> first = new ArrayList<>();
        List<HostTensor> second = new ArrayList<>();
        StringBuilder map = new StringBuilder();
        int i = 0;
        for (HostTensor t : weights.values()) {
            String shard = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (shard.contains("00001-") ? first : second).add(t);
            map.append(map.isEmpty() ? "" : ",").append('"').append(t.name()).append("\":\"").append(shard).append('"');
        }
        Files.writeString(tmp.resolve("config.json"), config.toJson());
        SafetensorsWriter.write(tmp.resolve("model-00001-of-00002.safetensors"), first);
        SafetensorsWriter.write(tmp.resolve("model-00002-of-00002.safetensors"), second);
        Files.writeString(tmp.resolve(Gpt2Checkpoint.INDEX_FILE), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        Map<String, HostTensor> back = read(tmp, config);
        for (HostTensor t : weights.values()) {
            assertArrayEquals(t.data(), back.get(t.name()).data(), t.name());
        }
    }

    @Test
    void saveKeepsTheLayout() throws IOException {
        Gpt2Checkpoint.write(tmp, config, weights.values(), "");
        assertEquals(config, Gpt2Checkpoint.readConfig(tmp));
        Map<String, HostTensor> back = read(tmp, config);
        for (HostTensor t : weights.values()) {
            assertArrayEquals(t.data(), back.get(t.name()).data(), t.name());
        }
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        List<HostTensor> stored = new ArrayList<>(weights.values());
        stored.removeIf(t -> t.name().equals("h.1.mlp.c_fc.bias"));
        writeCheckpoint(tmp, stored);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(tmp, config));
        assertTrue(e.getMessage().contains("missing 1 tensor(s) [h.1.mlp.c_fc.bias]"), e.getMessage());
    }

    @Test
    void wrongShapeNamesKeyExpectedAndFound() throws IOException {
        List<HostTensor> stored = new ArrayList<>();
        for (HostTensor t : weights.values()) {
            // A [out, in] nn.Linear layout instead of Conv1D's [in, out].
            stored.add(t.name().equals("h.0.attn.c_attn.weight") ? new HostTensor(t.name(), t.data(), 96, 32) : t);
        }
        writeCheckpoint(tmp, stored);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(tmp, config));
        assertTrue(e.getMessage().contains("\"h.0.attn.c_attn.weight\": expected shape [32, 96] but found [96, 32]"),
                e.getMessage());
    }

    @Test
    void unexpectedTensorIsAnError() throws IOException {
        List<HostTensor> stored = new ArrayList<>(weights.values());
        stored.add(new HostTensor("h.0.attn.q_proj.weight", new float[4], 2, 2));
        writeCheckpoint(tmp, stored);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(tmp, config));
        assertTrue(e.getMessage().contains("unexpected tensor(s) [h.0.attn.q_proj.weight]"), e.getMessage());
    }

    @Test
    void configDisagreeingWithWeightsIsAnError() throws IOException {
        Gpt2Config deeper = new Gpt2Config(97, 32, 32, 3, 4, 128, "gelu_new", 1e-5f, true, 0f, 0f, 0f);
        IllegalArgumentException layers = assertThrows(IllegalArgumentException.class,
                () -> read(Gpt2ConfigTest.tinyDir(), deeper));
        assertTrue(layers.getMessage().contains("h.2.ln_1.weight") && layers.getMessage().contains("n_layer=3"),
                layers.getMessage());
        Gpt2Config widerVocab = new Gpt2Config(100, 32, 32, 2, 4, 128, "gelu_new", 1e-5f, true, 0f, 0f, 0f);
        IllegalArgumentException vocab = assertThrows(IllegalArgumentException.class,
                () -> read(Gpt2ConfigTest.tinyDir(), widerVocab));
        assertTrue(vocab.getMessage().contains("\"wte.weight\": expected shape [100, 32] but found [97, 32]")
                && vocab.getMessage().contains("vocab_size=100"), vocab.getMessage());
        Gpt2Config untied = new Gpt2Config(97, 32, 32, 2, 4, 128, "gelu_new", 1e-5f, false, 0f, 0f, 0f);
        IllegalArgumentException head = assertThrows(IllegalArgumentException.class,
                () -> read(Gpt2ConfigTest.tinyDir(), untied));
        assertTrue(head.getMessage().contains("[lm_head.weight]"), head.getMessage());
    }

    @Test
    void duplicateUnderBothSpellingsIsAnError() throws IOException {
        List<HostTensor> stored = new ArrayList<>(weights.values());
        HostTensor wte = weights.get("wte.weight");
        stored.add(new HostTensor("transformer.wte.weight", wte.shape(), wte.data()));
        writeCheckpoint(tmp, stored);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> read(tmp, config));
        assertTrue(e.getMessage().contains("appears twice"), e.getMessage());
    }

    private static void writeCheckpoint(Path dir, List<HostTensor> tensors) throws IOException {
        Files.writeString(dir.resolve("config.json"), config.toJson());
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
    }
}
