package dev.peft4j.peft.cli;

import dev.peft4j.engine.json.Json;
import dev.peft4j.peft.core.AdapterFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code peft4j finetune} on classification rows (K-shot, dev split, checkpoints, several seeds) and its
 * progress output when standard output is not a terminal.
 */
class FinetuneClassificationCliTest {

    @TempDir
    Path dir;

    /** Runs the CLI with System.out captured (the commands log there); returns exit code and output. */
    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter err = new StringWriter();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream saved = System.out;
        int code;
        try (PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            CommandLine cli = new CommandLine(new Main());
            cli.setErr(new PrintWriter(err));
            code = cli.execute(args);
        } finally {
            System.setOut(saved);
        }
        return new Result(code, buf.toString(StandardCharsets.UTF_8), err.toString());
    }

    /** 24 rows of letter strings, label "hi" when the first letter is after 'm'. */
    private Path classificationData() throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            char first = (char) ('a' + (i * 7) % 26);
            String text = first + " " + (char) ('a' + (i * 5) % 26) + (char) ('a' + (i * 3) % 26);
            sb.append("{\"text\": \"").append(text).append("\", \"label\": \"").append(first > 'm' ? "hi" : "lo")
                    .append("\"}\n");
        }
        Path f = dir.resolve("cls.jsonl");
        Files.writeString(f, sb);
        return f;
    }

    private static Map<String, Object> json(Path file) throws Exception {
        return Json.object(Json.parse(Files.readString(file), file.toString()), file.toString());
    }

    @Test
    void classificationWritesTheAdapterReportAndMetrics() throws Exception {
        Path model = TinyCheckpointDir.create(dir.resolve("model"));
        Path out = dir.resolve("out");
        Result r = run("finetune", "--model", model.toString(), "--data", classificationData().toString(),
                "--method", "lora", "--r", "2", "--k", "4", "--dev-k", "2", "--template", "{text} =",
                "--label-words", "hi=H,lo=L", "--steps", "6", "--batch-size", "4", "--lr", "1e-2", "--eval-every", "3",
                "--checkpoint-every", "3", "--seed", "5", "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());

        Map<String, Object> config = json(out.resolve(AdapterFiles.CONFIG_FILE));
        assertEquals("LORA", config.get("peft_type"));
        assertEquals("CAUSAL_LM", config.get("task_type"));
        assertTrue(Files.size(out.resolve(AdapterFiles.WEIGHTS_FILE)) > 0);
        assertTrue(Files.isDirectory(out.resolve("checkpoints/step-00000006")), "checkpoint of the last step");

        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<svg") && html.contains("lora"), "report with curves");
        Map<String, Object> metrics = json(out.resolve("metrics.json"));
        assertEquals("accuracy %", metrics.get("score"));
        Map<String, Object> settings = Json.object(metrics.get("settings"), "settings");
        assertEquals("prompt", settings.get("objective"));
        assertEquals(4L, settings.get("k"));
        List<Object> methods = Json.array(metrics.get("methods"), "methods");
        assertEquals(1, methods.size());
        Map<String, Object> lora = Json.object(methods.getFirst(), "lora");
        assertEquals("lora", lora.get("method"));
        double accuracy = Json.number(lora.get("score_mean"), "score_mean");
        assertTrue(accuracy >= 0 && accuracy <= 1, "test accuracy " + accuracy);
        assertEquals(6, Json.array(lora.get("train_loss"), "train_loss").size());
        assertEquals(2, Json.array(lora.get("dev"), "dev").size(), "dev evaluations at steps 3 and 6");
    }

    @Test
    void severalSeedsWithAHeadGoUnderRunsWithOneReport() throws Exception {
        Path model = TinyCheckpointDir.create(dir.resolve("model"));
        Path out = dir.resolve("heads");
        Result r = run("finetune", "--model", model.toString(), "--data", classificationData().toString(),
                "--method", "lora", "--classifier", "head", "--r", "2", "--k", "4", "--seeds", "1,2", "--epochs", "2",
                "--batch-size", "4", "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        for (String seed : new String[] {"seed-1", "seed-2"}) {
            Map<String, Object> config = json(out.resolve("runs/lora").resolve(seed).resolve("adapter")
                    .resolve(AdapterFiles.CONFIG_FILE));
            assertEquals("SEQ_CLS", config.get("task_type"));
            assertEquals(List.of("score"), config.get("modules_to_save"));
        }
        Map<String, Object> lora = Json.object(Json.array(json(out.resolve("metrics.json")).get("methods"), "m")
                .getFirst(), "lora");
        assertEquals(2L, lora.get("seeds"));
        assertEquals(4, Json.array(lora.get("train_loss"), "train_loss").size(), "2 epochs of 8 rows in batches of 4");
    }

    @Test
    void withoutATerminalProgressIsPlainLogLines() throws Exception {
        Path data = dir.resolve("lm.jsonl");
        StringBuilder rows = new StringBuilder();
        for (int s = 0; s < 6; s++) {
            rows.append("{\"input_ids\": [").append(s).append(", ").append(s + 3).append(", ").append(s + 6)
                    .append(", ").append(s + 9).append("]}\n");
        }
        Files.writeString(data, rows);
        Path out = dir.resolve("lm");
        Result r = run("finetune", "--model", model(), "--data", data.toString(), "--method", "ia3", "--steps", "10",
                "--batch-size", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertFalse(r.out().contains("\r"), "no carriage returns redrawing a bar");
        Matcher m = Pattern.compile("(?m)^ia3 +seed 0 step (\\d+)/10 loss \\d+\\.\\d{4} [\\d,]+ tok/s ETA \\d\\d:\\d\\d$")
                .matcher(r.out());
        int lines = 0;
        while (m.find()) {
            lines++;
            assertEquals(lines, Integer.parseInt(m.group(1)), "one line per step, in order");
        }
        assertEquals(10, lines, r.out());
        assertTrue(Files.exists(out.resolve(AdapterFiles.WEIGHTS_FILE)) && Files.exists(out.resolve("report.html")));
        Map<String, Object> ia3 = Json.object(Json.array(json(out.resolve("metrics.json")).get("methods"), "m")
                .getFirst(), "ia3");
        assertEquals(null, ia3.get("score_mean"), "no held-out rows: no score");
    }

    private static String model() {
        return dev.peft4j.peft.TinyModels.goldenCheckpoint().toString();
    }
}
