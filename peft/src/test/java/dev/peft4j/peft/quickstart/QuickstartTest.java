package dev.peft4j.peft.quickstart;

import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.models.tokenizer.ByteLevelBpeTokenizer;
import dev.peft4j.peft.report.ResultRow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The quickstart pipeline cut down (1 seed, few steps) on the shipped model: table, report, metrics. */
class QuickstartTest {

    @TempDir
    Path dir;

    @Test
    void shippedModelLoadsWithItsByteTokenizer() throws Exception {
        Path m = QuickstartModel.extractTo(dir.resolve("m"));
        ByteLevelBpeTokenizer t = ByteLevelBpeTokenizer.fromDirectory(m);
        assertArrayEquals(new int[]{'s', 'o', 'r', 't', ' ', '3'}, t.encode("sort 3"));
        assertEquals("sort 3 1", t.decode(t.encode("sort 3 1")));
        try (Kernels k = new CpuKernels()) {
            Gpt2Model g = Gpt2Model.fromPretrained(m, k);
            assertEquals(ByteVocab.SIZE, g.config().vocabSize());
            assertTrue(Files.size(m.resolve("model.safetensors")) < 10 << 20, "checkpoint under 10 MB");
        }
    }

    @Test
    void cutDownRunWritesTableReportAndMetrics() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        List<ResultRow> rows;
        try (Kernels k = new CpuKernels(); PrintStream log = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            rows = Quickstart.run(new Quickstart.Settings(List.of("full", "lora", "no-such-method"), 1, 4, 16, 3, 4, 2),
                    dir, null, log, false, k);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(3, rows.size());
        for (ResultRow r : rows.subList(0, 2)) {
            assertTrue(r.ok(), r.method() + ": " + r.note());
            assertTrue(r.score().mean() >= 0 && r.score().mean() <= 1, "accuracy " + r.score().mean());
            assertEquals(3, r.trainLoss().size());
            assertTrue(r.trainLoss().stream().allMatch(Float::isFinite));
            assertTrue(r.savedBytes() > 0 && r.secondsPerStep() > 0 && r.peakHeapBytes() > 0);
        }
        assertTrue(rows.get(1).trainableParams() < rows.get(0).trainableParams(), "LoRA trains fewer than full");
        assertTrue(rows.get(1).savedBytes() < rows.get(0).savedBytes(), "the adapter is smaller than the model");
        assertFalse(rows.get(2).ok());
        assertTrue(out.contains("accuracy % (mean ± std)") && out.contains("lora"), out);
        assertTrue(Files.readString(dir.resolve("report.html")).contains("<svg"));
        Map<String, Object> m = Json.object(Json.parse(Files.readString(dir.resolve("metrics.json")), "metrics"), "m");
        assertEquals(3, Json.array(m.get("methods"), "methods").size());
        assertTrue(Files.exists(dir.resolve("runs/lora/seed-13/adapter/adapter_model.safetensors")));
        assertTrue(Files.exists(dir.resolve("runs/full/seed-13/model/model.safetensors")));
    }
}
