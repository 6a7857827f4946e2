package dev.peft4j.peft.cli;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.core.AdapterFiles;
import dev.peft4j.peft.core.PeftModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code peft4j finetune} and {@code peft4j merge} on the tiny HF checkpoint. */
class CliTest {

    private static int run(StringWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    private static Path data(Path dir) throws Exception {
        Path file = dir.resolve("train.jsonl");
        StringBuilder rows = new StringBuilder();
        for (int s = 0; s < 6; s++) {
            rows.append("{\"input_ids\": [");
            for (int i = 0; i < 8; i++) {
                rows.append(i == 0 ? "" : ", ").append((5 * s + 3 * i) % 97);
            }
            rows.append("]}\n");
        }
        Files.writeString(file, rows);
        return file;
    }

    @Test
    void finetuneWritesAnHfAdapterThatMergeFoldsIntoAPlainCheckpoint(@TempDir Path dir) throws Exception {
        Path data = data(dir);
        Path adapter = dir.resolve("adapter");
        String model = TinyModels.goldenCheckpoint().toString();
        StringWriter err = new StringWriter();
        int code = run(err, "finetune", "--model", model, "--data", data.toString(), "--method", "dora",
                "--r", "4", "--alpha", "8", "--target-modules", "c_attn,c_fc", "--optimizer", "adamw", "--lr", "1e-2",
                "--steps", "6", "--batch-size", "3", "--seed", "5", "--out", adapter.toString());
        assertEquals(0, code, err.toString());
        Map<String, Object> config = Json.object(Json.parse(Files.readString(adapter.resolve(AdapterFiles.CONFIG_FILE)), "c"), "c");
        assertEquals("LORA", config.get("peft_type"));
        assertEquals(true, config.get("use_dora"));
        assertEquals(model, config.get("base_model_name_or_path"));
        try (SafetensorsReader r = SafetensorsReader.open(adapter.resolve(AdapterFiles.WEIGHTS_FILE))) {
            assertEquals(12, r.names().size()); // 4 layers x (A, B, magnitude)
        }

        // Continue from the saved adapter.
        Path adapter2 = dir.resolve("adapter2");
        code = run(err, "finetune", "--model", model, "--data", data.toString(), "--method", "dora",
                "--adapter", adapter.toString(), "--optimizer", "sgd", "--lr", "1e-2", "--grad-clip", "0",
                "--steps", "2", "--out", adapter2.toString());
        assertEquals(0, code, err.toString());

        Path merged = dir.resolve("merged");
        code = run(err, "merge", "--model", model, "--adapter", adapter2.toString(), "--out", merged.toString());
        assertEquals(0, code, err.toString());
        try (Kernels k = new CpuKernels()) {
            int[] ids = {1, 5, 9, 13, 17, 21, 25, 29};
            Gpt2Model plain = Gpt2Model.fromPretrained(merged, k);
            Gpt2Model withAdapter = Gpt2Model.fromPretrained(TinyModels.goldenCheckpoint(), k);
            Gpt2Model base = Gpt2Model.fromPretrained(TinyModels.goldenCheckpoint(), k);
            PeftModel.load(withAdapter, k, adapter2, false);
            float[] a;
            float[] b;
            float[] c;
            try (var ignored = Autograd.noGrad()) {
                a = plain.forward(ids, 1, 8).toArray();
                b = withAdapter.forward(ids, 1, 8).toArray();
                c = base.forward(ids, 1, 8).toArray();
            }
            assertTrue(TinyModels.maxAbsDiff(a, b) < 1e-4, "merged vs adapter: " + TinyModels.maxAbsDiff(a, b));
            assertNotEquals(0.0, TinyModels.maxAbsDiff(a, c), "training changed nothing");
        }
    }

    @Test
    void everyMethodRunsFromTheCommandLine(@TempDir Path dir) throws Exception {
        Path data = data(dir);
        for (String method : new String[] {"lora", "rslora", "pissa", "lora-b-only", "cola", "vera"}) {
            StringWriter err = new StringWriter();
            Path out = dir.resolve(method);
            int code = run(err, "finetune", "--model", TinyModels.goldenCheckpoint().toString(), "--data",
                    data.toString(), "--method", method, "--r", "2", "--steps", "3", "--batch-size", "2",
                    "--lr-schedule", "linear", "--no-shuffle", "--out", out.toString());
            assertEquals(0, code, method + ": " + err);
            assertTrue(Files.exists(out.resolve(AdapterFiles.WEIGHTS_FILE)), method);
        }
    }

    @Test
    void aBadDataRowFailsNamingTheLine(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("bad.jsonl");
        Files.writeString(data, "{\"input_ids\": [1, 2, 3]}\n{\"input_ids\": [1, \"x\"]}\n");
        StringWriter err = new StringWriter();
        int code = run(err, "finetune", "--model", TinyModels.goldenCheckpoint().toString(), "--data", data.toString(),
                "--steps", "1", "--out", dir.resolve("o").toString());
        assertNotEquals(0, code);
        assertTrue(err.toString().contains(data + ":2"), err.toString());
    }
}
