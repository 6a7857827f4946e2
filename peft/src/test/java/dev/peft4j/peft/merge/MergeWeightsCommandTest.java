package dev.peft4j.peft.merge;

import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.peft.cli.MergeWeightsCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MergeWeightsCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return new CommandLine(new MergeWeightsCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args);
    }

    @Test
    void wiseWritesTheInterpolationWithTheModelsConfig(@TempDir Path tmp) throws Exception {
        Path base = TinyGpt2.save(tmp.resolve("base"), 1);
        Path ft = TinyGpt2.perturbed(base, tmp.resolve("ft"), 0.1, 2);
        Path outDir = tmp.resolve("out");
        assertEquals(0, run("--method", "wise", "--base", base.toString(), "--models", ft.toString(),
                "--alpha", "0.25", "--out", outDir.toString()), err.toString());
        StateDict expected = WiseFt.interpolate(WeightsDirectory.open(base).load(), WeightsDirectory.open(ft).load(),
                0.25);
        Map<String, HostTensor> written = SafetensorsReader.readAll(outDir.resolve("model.safetensors"));
        for (HostTensor t : expected.tensors()) {
            assertArrayEquals(t.data(), written.get(t.name()).data(), t.name());
        }
        assertTrue(Files.exists(outDir.resolve("config.json")) && Files.exists(outDir.resolve("vocab.json")));
    }

    @Test
    void loraExtractWritesAPeftAdapter(@TempDir Path tmp) throws Exception {
        Path base = TinyGpt2.save(tmp.resolve("base"), 1);
        Path ft = TinyGpt2.perturbed(base, tmp.resolve("ft"), 0.1, 2);
        Path outDir = tmp.resolve("lora");
        assertEquals(0, run("--method", "lora-extract", "--base", base.toString(), "--models", ft.toString(),
                "--r", "2", "--out", outDir.toString()), err.toString());
        Map<String, HostTensor> adapter = SafetensorsReader.readAll(outDir.resolve("adapter_model.safetensors"));
        HostTensor a = adapter.get("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight");
        HostTensor b = adapter.get("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight");
        assertArrayEquals(new int[]{2, 8}, a.shape());
        assertArrayEquals(new int[]{24, 2}, b.shape());
        assertEquals(8, adapter.size(), "c_attn, attn.c_proj, c_fc, mlp.c_proj: A and B each");
        assertTrue(Files.readString(outDir.resolve("adapter_config.json")).contains("\"fan_in_fan_out\": true"));
        assertTrue(out.toString().contains("transformer.h.0.mlp.c_fc"), out.toString());
    }

    @Test
    void tiesAndDareRun(@TempDir Path tmp) throws Exception {
        Path base = TinyGpt2.save(tmp.resolve("base"), 1);
        Path a = TinyGpt2.perturbed(base, tmp.resolve("a"), 0.1, 2);
        Path b = TinyGpt2.perturbed(base, tmp.resolve("b"), 0.1, 3);
        String models = a + "," + b;
        assertEquals(0, run("--method", "ties", "--base", base.toString(), "--models", models, "--density", "0.3",
                "--out", tmp.resolve("ties").toString()), err.toString());
        assertEquals(0, run("--method", "dare", "--combine", "ties", "--drop-rate", "0.5", "--seed", "4",
                "--base", base.toString(), "--models", models, "--out", tmp.resolve("dare").toString()), err.toString());
        float[] ties = SafetensorsReader.readAll(tmp.resolve("ties/model.safetensors")).get("h.0.mlp.c_fc.weight").data();
        float[] dare = SafetensorsReader.readAll(tmp.resolve("dare/model.safetensors")).get("h.0.mlp.c_fc.weight").data();
        assertNotEquals(Arrays.toString(ties), Arrays.toString(dare));
    }

    @Test
    void aMissingBaseIsReported(@TempDir Path tmp) throws Exception {
        Path m = TinyGpt2.save(tmp.resolve("m"), 1);
        int code = run("--method", "model-stock", "--models", m + "," + m, "--out", tmp.resolve("o").toString());
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("--base"), err.toString());
    }
}
