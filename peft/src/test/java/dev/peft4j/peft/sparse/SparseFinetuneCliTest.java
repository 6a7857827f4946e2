package dev.peft4j.peft.sparse;

import dev.peft4j.engine.io.SafetensorsDtype;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.TinyModels;
import dev.peft4j.peft.cli.Main;
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

/** {@code peft4j finetune --method sparse --sparse-select S --density D} for every selection, on the tiny HF checkpoint. */
class SparseFinetuneCliTest {

    @TempDir
    Path dir;

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        return cli.execute(args);
    }

    private Path data() throws Exception {
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
    void everySelectionTrainsAndSavesAnAdapterThatLoadsBack() throws Exception {
        Path data = data();
        String model = TinyModels.goldenCheckpoint().toString();
        for (Selection s : Selection.values()) {
            Path out = dir.resolve(s.cliName());
            StringWriter err = new StringWriter();
            int code = run(new StringWriter(), err, "finetune", "--model", model, "--data", data.toString(),
                    "--method", "sparse", "--sparse-select", s.cliName(), "--density", "0.25",
                    "--target-modules", "c_attn,c_fc", "--lr", "1e-2", "--steps", "3", "--batch-size", "3",
                    "--no-shuffle", "--out", out.toString());
            assertEquals(0, code, s + ": " + err);
            Map<String, Object> config = Json.object(Json.parse(Files.readString(out.resolve(AdapterFiles.CONFIG_FILE)), "c"), "c");
            assertEquals("SPARSE", config.get("peft_type"), s.cliName());
            assertEquals(s.cliName(), config.get("selection"));
            assertEquals(0.25, (Double) config.get("density"));
            long nnz = 0;
            try (SafetensorsReader r = SafetensorsReader.open(out.resolve(AdapterFiles.WEIGHTS_FILE))) {
                assertEquals(8, r.names().size(), s + ": 4 targets x (indices, values)");
                for (String name : r.names()) {
                    if (name.endsWith(".sparse_indices")) {
                        assertEquals(SafetensorsDtype.I32, r.entry(name).dtype(), name);
                        nnz += r.entry(name).numel();
                    }
                }
            }
            // c_attn 32->96 and c_fc 32->128 in two layers: 2·(3072 + 4096) entries, a quarter of them overall.
            assertEquals(Math.round(0.25 * 2 * (3072 + 4096)), nnz, s.cliName());
            try (Kernels k = new CpuKernels()) {
                Gpt2Model gpt2 = Gpt2Model.fromPretrained(TinyModels.goldenCheckpoint(), k);
                PeftModel peft = PeftModel.load(gpt2, k, out, false);
                boolean trained = SparseFixtures.layers(peft).values().stream()
                        .anyMatch(l -> java.util.Arrays.stream(toDoubles(l.values("default").toArray())).anyMatch(v -> v != 0));
                assertTrue(trained, s + ": the values moved");
            }
        }
    }

    @Test
    void anUnknownSelectionIsRefusedNamingTheOption() throws Exception {
        StringWriter err = new StringWriter();
        int code = run(new StringWriter(), err, "finetune", "--model", TinyModels.goldenCheckpoint().toString(),
                "--data", data().toString(), "--method", "sparse", "--sparse-select", "biggest", "--steps", "1",
                "--out", dir.resolve("x").toString());
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("--sparse-select: unknown sparse selection \"biggest\""), err.toString());
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
