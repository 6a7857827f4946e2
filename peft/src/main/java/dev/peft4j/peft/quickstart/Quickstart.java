package dev.peft4j.peft.quickstart;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.json.Json;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.peft.core.AdapterFiles;
import dev.peft4j.peft.fewshot.ClassifierKind;
import dev.peft4j.peft.fewshot.DataRow;
import dev.peft4j.peft.fewshot.FewShotExperiment;
import dev.peft4j.peft.fewshot.FewShotJsonl;
import dev.peft4j.peft.fewshot.FewShotRun;
import dev.peft4j.peft.fewshot.FewShotSplit;
import dev.peft4j.peft.fewshot.MethodOptions;
import dev.peft4j.peft.fewshot.ModelTokenizer;
import dev.peft4j.peft.fewshot.RunSpec;
import dev.peft4j.peft.report.ResultRow;
import dev.peft4j.peft.report.ResultsTable;
import dev.peft4j.peft.report.RunReport;
import dev.peft4j.peft.train.OptimizerSettings;
import dev.peft4j.peft.train.Progress;
import dev.peft4j.peft.train.TrainerSettings;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The offline quickstart: the shipped small GPT (pretrained on procedural list/string operations) is
 * few-shot fine-tuned on a task it never saw, "is this digit list sorted?" ({@link SortedTask}), LM-BFF
 * style (template {@value #TEMPLATE}, label words 0/1), by several methods over several seeds. Prints one
 * table and writes {@code report.html} and {@code metrics.json}.
 */
public final class Quickstart {

    public static final String TEMPLATE = "sorted {text} = ";
    public static final String LABEL_WORDS = "no=0,yes=1";
    /** The methods the quickstart compares; names other helpers have not registered show as unavailable. */
    public static final List<String> METHODS = List.of("full", "lora", "ia3", "ssf", "sparse", "prompt");

    /**
     * @param k      training examples per class (the dev split has as many)
     * @param test   held-out rows scored per run
     */
    public record Settings(List<String> methods, int seeds, int k, int test, int steps, int batch, int evalEvery) {

        public static Settings defaults() {
            return new Settings(METHODS, 3, 16, 200, 100, 8, 10);
        }
    }

    private Quickstart() {
    }

    /**
     * The learning rate each method trains well with on this task, from a sweep over 3 seeds: full
     * fine-tuning moves every weight (1e-3); LoRA-style updates need 1e-2; methods that only scale or shift
     * activations (IA3), or train a few hundred scattered entries (sparse), need 1e-1 to move at all in 100 steps.
     */
    static float learningRate(String method) {
        return switch (method) {
            case "full" -> 1e-3f;
            case "lora", "rslora", "dora", "pissa", "lora-b-only", "cola", "vera" -> 1e-2f;
            case "ia3", "sparse" -> 1e-1f;
            default -> 3e-2f;
        };
    }

    /** Runs everything under {@code out}; {@code modelDir} null = the shipped model. Returns the table's rows. */
    public static List<ResultRow> run(Settings s, Path out, Path modelDir, PrintStream log, boolean progressBars,
                                      Kernels k) throws IOException {
        long start = System.nanoTime();
        Path model = modelDir != null ? modelDir : QuickstartModel.extractTo(out.resolve("base-model"));
        ModelTokenizer tokenizer = new ModelTokenizer(model);
        Path poolFile = out.resolve("data").resolve("sorted-pool.jsonl");
        Path testFile = out.resolve("data").resolve("sorted-test.jsonl");
        Rng data = new Rng(7);
        writeJsonl(poolFile, SortedTask.rows(data, Math.max(64, 4 * s.k())));
        writeJsonl(testFile, SortedTask.rows(data, s.test()));
        List<DataRow> pool = FewShotJsonl.read(poolFile, false).rows();
        List<DataRow> test = FewShotJsonl.read(testFile, false).rows();
        log.printf("peft4j quickstart: few-shot \"is the list sorted?\" (K=%d per class, dev K=%d, %d test rows),"
                        + " %d seeds, %d steps, template \"%s\"%n", s.k(), s.k(), test.size(), s.seeds(), s.steps(),
                TEMPLATE);
        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < s.seeds(); i++) {
            seeds.add(13L + 8 * i); // LM-BFF's seeds: 13, 21, 42(…); any fixed list does
        }
        List<ResultRow> rows = FewShotExperiment.run(s.methods(), seeds,
                seed -> new FewShotRun.Inputs(model, tokenizer, FewShotSplit.sample(pool, s.k(), s.k(), seed,
                        poolFile.toString()), test, poolFile.toString()),
                method -> new RunSpec(method, ClassifierKind.PROMPT, MethodOptions.of(8, 16, null),
                        new TrainerSettings(new OptimizerSettings("adamw", learningRate(method), 0f, 1.0, "linear",
                                Math.max(1, s.steps() / 10), s.steps()), s.batch(), s.evalEvery(), 0, 0, 0),
                        TEMPLATE, LABEL_WORDS),
                out.resolve("runs"), false, false, log,
                (label, steps) -> progressBars ? Progress.forConsole(log, label, Math.max(1, steps / 4)) : Progress.silent(),
                k);
        String table = ResultsTable.render(rows, "accuracy %", true);
        log.println();
        log.print(table);
        Map<String, Object> settings = Json.newObject();
        settings.put("task", "is the digit list sorted? (unseen in pretraining)");
        settings.put("template", TEMPLATE);
        settings.put("label_words", LABEL_WORDS);
        settings.put("k_per_class", (long) s.k());
        settings.put("seeds", (long) s.seeds());
        settings.put("steps", (long) s.steps());
        settings.put("batch", (long) s.batch());
        settings.put("test_rows", (long) test.size());
        settings.put("wall_seconds", Math.round((System.nanoTime() - start) / 1e8) / 10.0);
        new RunReport("peft4j quickstart: few-shot sortedness", "accuracy %", true, settings, rows).write(out);
        AdapterFiles.writeAtomically(out.resolve("results.txt"), table);
        log.println("report: " + out.resolve("report.html") + "  metrics: " + out.resolve("metrics.json"));
        return rows;
    }

    static void writeJsonl(Path file, List<SortedTask.Row> rows) throws IOException {
        java.nio.file.Files.createDirectories(file.getParent());
        StringBuilder sb = new StringBuilder();
        for (SortedTask.Row r : rows) {
            Map<String, Object> o = Json.newObject();
            o.put("text", r.text());
            o.put("label", r.label());
            sb.append(Json.write(o)).append('\n');
        }
        AdapterFiles.writeAtomically(file, sb.toString());
    }
}
