package dev.peft4j.peft.cli;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Rng;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import dev.peft4j.models.gpt2.Gpt2Model;
import dev.peft4j.peft.core.PeftModel;
import dev.peft4j.peft.core.TargetModules;
import dev.peft4j.peft.lora.LoraConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code peft4j eval} on the tiny checkpoint: its loss against the model's own loss, computed row by row here. */
class EvalCommandTest {

    /** Exit code, stdout and stderr of one CLI run. */
    record Run(int code, String out, String err) {
        double value(String key) {
            for (String line : out.split("\n")) {
                if (line.startsWith(key + " ")) {
                    return Double.parseDouble(line.substring(key.length() + 1).trim());
                }
            }
            throw new AssertionError("no '" + key + "' line in:\n" + out + err);
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Sum of loss x scored tokens and the token count of one row, straight from the model. */
    @SuppressWarnings("try")
    private static double[] rowLoss(Gpt2Model m, int[] ids, int[] labels) {
        long counted = Arrays.stream(labels).skip(1).filter(l -> l != -100).count();
        try (var ignored = Autograd.noGrad()) {
            return new double[] {m.loss(ids, labels, 1, ids.length).item() * (double) counted, counted};
        }
    }

    private static int[] range(int from, int n, int step) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = (from + i * step) % 96;
        }
        return v;
    }

    private static String json(int[] v) {
        return Arrays.toString(v);
    }

    @Test
    void lossIsTheTokenWeightedMeanOfTheModelsOwnLoss(@TempDir Path tmp) throws Exception {
        Path model = TinyCheckpointDir.create(tmp.resolve("model"));
        String text = "hello world";
        int[] masked = range(3, 9, 7);
        int[] maskedLabels = masked.clone();
        maskedLabels[1] = -100; // prompt-style masking: the first two targets are not scored
        maskedLabels[2] = -100;
        int[] plain = range(11, 5, 13);
        int[] longRow = range(1, 40, 5); // longer than n_positions 32: truncated
        Path data = tmp.resolve("eval.jsonl");
        Files.writeString(data, String.join("\n",
                "{\"text\": \"" + text + "\"}",
                "{\"input_ids\": " + json(masked) + ", \"labels\": " + json(maskedLabels) + "}",
                "",
                "{\"input_ids\": " + json(plain) + "}",
                "{\"input_ids\": " + json(longRow) + ", \"labels\": null}") + "\n");

        double sum = 0;
        double tokens = 0;
        try (Kernels k = new CpuKernels()) {
            Gpt2Model m = Gpt2Model.fromPretrained(model, k);
            int[] longCut = Arrays.copyOf(longRow, 32);
            for (double[] r : List.of(rowLoss(m, TinyCheckpointDir.ids(text), TinyCheckpointDir.ids(text)),
                    rowLoss(m, masked, maskedLabels), rowLoss(m, plain, plain), rowLoss(m, longCut, longCut))) {
                sum += r[0];
                tokens += r[1];
            }
        }
        assertEquals(10 + 6 + 4 + 31, tokens, "scored tokens of the expected rows");
        double expected = sum / tokens;

        for (String batch : new String[] {"1", "3"}) { // batching and padding must not change the mean
            Run r = run("eval", "--model", model.toString(), "--data", data.toString(), "--batch-size", batch);
            assertEquals(0, r.code(), r.err());
            assertEquals(expected, r.value("loss"), 2e-6 + 1e-5 * expected, "batch size " + batch);
            assertEquals(Math.exp(expected), r.value("perplexity"), 1e-4 * Math.exp(expected));
            assertEquals(tokens, r.value("tokens"));
        }
    }

    @Test
    @SuppressWarnings("try")
    void adapterChangesTheLossToThatOfTheAdaptedModel(@TempDir Path tmp) throws Exception {
        Path model = TinyCheckpointDir.create(tmp.resolve("model"));
        Path adapter = tmp.resolve("adapter");
        int[] ids = range(2, 20, 11);
        Path data = tmp.resolve("eval.jsonl");
        Files.writeString(data, "{\"input_ids\": " + json(ids) + "}\n");
        double base;
        double adapted;
        try (Kernels k = new CpuKernels()) {
            Gpt2Model m = Gpt2Model.fromPretrained(model, k);
            base = rowLoss(m, ids, ids)[0] / 19;
            // init_lora_weights=false: B is random too, so the adapter changes the function.
            LoraConfig config = new LoraConfig().r(4).loraAlpha(8).initLoraWeights(false)
                    .targetModules(new TargetModules.Names(List.of("c_attn", "attn.c_proj")));
            PeftModel peft = PeftModel.create(m, k, config, new Rng(3));
            peft.save(adapter);
            adapted = rowLoss(m, ids, ids)[0] / 19;
        }
        assertNotEquals(base, adapted, 1e-3, "the adapter should move the loss");
        Run plain = run("eval", "--model", model.toString(), "--data", data.toString());
        Run withAdapter = run("eval", "--model", model.toString(), "--data", data.toString(),
                "--adapter", adapter.toString());
        assertEquals(0, withAdapter.code(), withAdapter.err());
        assertEquals(base, plain.value("loss"), 2e-6 + 1e-5 * base);
        assertEquals(adapted, withAdapter.value("loss"), 2e-6 + 1e-5 * adapted);
    }

    @Test
    void badRowsNameTheFileAndLine(@TempDir Path tmp) throws Exception {
        Path model = TinyCheckpointDir.create(tmp.resolve("model"));
        String good = "{\"input_ids\": [1, 2, 3]}";
        String[][] cases = {
                {"{\"input_ids\": [1, \"two\", 3]}", "input_ids[1]"},
                {"{\"input_ids\": [1, 2, 300]}", "outside the vocabulary"},
                {"{\"input_ids\": [1, 2, 3], \"labels\": [1, 2]}", "3 input_ids but 2 labels"},
                {"{\"prompt\": \"x\"}", "needs \"text\" or \"input_ids\""},
                {"{\"input_ids\": [1, 2", ""},
        };
        for (String[] c : cases) {
            Path data = tmp.resolve("bad.jsonl");
            Files.writeString(data, good + "\n" + c[0] + "\n" + good + "\n");
            Run r = run("eval", "--model", model.toString(), "--data", data.toString());
            assertNotEquals(0, r.code(), c[0]);
            assertTrue(r.err().contains(data + ":2"), "error should name " + data + ":2, got:\n" + r.err());
            assertTrue(r.err().contains(c[1]), "error should say '" + c[1] + "', got:\n" + r.err());
        }
        Path allMasked = tmp.resolve("masked.jsonl");
        Files.writeString(allMasked, "{\"input_ids\": [1, 2, 3], \"labels\": [-100, -100, -100]}\n");
        Run r = run("eval", "--model", model.toString(), "--data", allMasked.toString());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("no scored tokens"), r.err());
    }
}
