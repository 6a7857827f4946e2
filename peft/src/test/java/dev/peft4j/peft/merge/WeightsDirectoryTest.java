package dev.peft4j.peft.merge;

import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.io.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightsDirectoryTest {

    @Test
    void modelDirectoryRoundTripsWithItsConfigs(@TempDir Path tmp) throws IOException {
        Path in = tmp.resolve("in");
        StateDict original = Dicts.random("x", 5);
        SafetensorsWriter.write(in.resolve("model.safetensors"), original.tensors());
        Files.writeString(in.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        Files.writeString(in.resolve("tokenizer.json"), "{}");
        Files.writeString(in.resolve("pytorch_model.bin"), "stale weights");

        WeightsDirectory wd = WeightsDirectory.open(in);
        assertEquals("model.safetensors", wd.weightsFileName());
        assertFalse(wd.isAdapter());
        assertEquals("gpt2", wd.modelConfig().get("model_type"));
        StateDict loaded = wd.load();
        assertEquals(original.names(), loaded.names());
        for (String n : original.names()) {
            assertArrayEquals(original.get(n).data(), loaded.get(n).data(), n);
        }

        Path out = tmp.resolve("out");
        StateDict merged = WiseFt.interpolate(loaded, Dicts.random("y", 6), 0.5);
        wd.saveAlike(merged, out);
        Map<String, HostTensor> back = SafetensorsReader.readAll(out.resolve("model.safetensors"));
        for (HostTensor t : merged.tensors()) {
            assertEquals(t, back.get(t.name()));
        }
        assertEquals("{\"model_type\": \"gpt2\"}", Files.readString(out.resolve("config.json")));
        assertTrue(Files.exists(out.resolve("tokenizer.json")));
        assertFalse(Files.exists(out.resolve("pytorch_model.bin")), "weights in another format must not be copied");
    }

    @Test
    void adapterDirectoryKeepsTheAdapterFileName(@TempDir Path tmp) throws IOException {
        Path in = tmp.resolve("adapter");
        SafetensorsWriter.write(in.resolve("adapter_model.safetensors"), Dicts.random("a", 1).tensors());
        Files.writeString(in.resolve("adapter_config.json"), "{\"peft_type\": \"LORA\"}");
        WeightsDirectory wd = WeightsDirectory.open(in);
        assertTrue(wd.isAdapter());
        Path written = wd.saveAlike(wd.load(), tmp.resolve("out"));
        assertEquals("adapter_model.safetensors", written.getFileName().toString());
        assertTrue(Files.exists(tmp.resolve("out/adapter_config.json")));
    }

    @Test
    void shardsAreReadAndSavedAsOneFile(@TempDir Path tmp) throws IOException {
        Path in = tmp.resolve("sharded");
        StateDict sd = Dicts.random("s", 3);
        SafetensorsWriter.write(in.resolve("model-00001-of-00002.safetensors"), List.of(sd.get("a.weight")));
        SafetensorsWriter.write(in.resolve("model-00002-of-00002.safetensors"), List.of(sd.get("a.bias")));
        Files.writeString(in.resolve("model.safetensors.index.json"), """
                {"metadata": {}, "weight_map": {"a.weight": "model-00001-of-00002.safetensors",
                 "a.bias": "model-00002-of-00002.safetensors"}}""");
        WeightsDirectory wd = WeightsDirectory.open(in);
        StateDict loaded = wd.load();
        assertEquals(List.of("a.weight", "a.bias"), loaded.names());
        wd.saveAlike(loaded, tmp.resolve("out"));
        assertEquals(2, SafetensorsReader.readAll(tmp.resolve("out/model.safetensors")).size());
        assertFalse(Files.exists(tmp.resolve("out/model.safetensors.index.json")));
    }

    @Test
    void mismatchedFilesAreNamed(@TempDir Path tmp) throws IOException {
        SafetensorsWriter.write(tmp.resolve("a/model.safetensors"), List.of(new HostTensor("w", new float[6], 2, 3)));
        SafetensorsWriter.write(tmp.resolve("b/model.safetensors"), List.of(new HostTensor("w", new float[6], 3, 2)));
        StateDict a = WeightsDirectory.open(tmp.resolve("a")).load();
        StateDict b = WeightsDirectory.open(tmp.resolve("b")).load();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WiseFt.interpolate(a, b, 0.5));
        assertTrue(e.getMessage().contains(tmp.resolve("a/model.safetensors").toString())
                && e.getMessage().contains(tmp.resolve("b/model.safetensors").toString())
                && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[3, 2]"), e.getMessage());
    }

    @Test
    void aDirectoryWithoutWeightsIsAnError(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("empty"));
        IOException e = assertThrows(IOException.class, () -> WeightsDirectory.open(tmp.resolve("empty")));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }
}
