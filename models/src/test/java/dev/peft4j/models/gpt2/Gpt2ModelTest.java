package dev.peft4j.models.gpt2;

import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Gpt2ModelTest {

    private static final Kernels K = new CpuKernels();

    @TempDir
    Path tmp;

    private static Gpt2Config tiny(float dropout, boolean tied) {
        return new Gpt2Config(53, 24, 16, 2, 2, 64, "gelu_new", 1e-5f, tied, dropout, dropout, dropout);
    }

    @Test
    void parameterNamesAndShapesAreHuggingFaces() {
        Gpt2Config c = tiny(0f, false);
        Gpt2Model model = new Gpt2Model(c, K, new Rng(1));
        Map<String, Tensor> params = model.namedParameters();
        Map<String, int[]> expected = Gpt2Checkpoint.expectedShapes(c);
        assertEquals(expected.keySet(), params.keySet());
        expected.forEach((name, shape) -> assertArrayEquals(shape, params.get(name).shape(), name));
        assertTrue(params.containsKey("lm_head.weight"));
        assertFalse(new Gpt2Model(tiny(0f, true), K, new Rng(1)).namedParameters().containsKey("lm_head.weight"));
    }

    @Test
    void memorisesASequence() {
        Gpt2Model model = new Gpt2Model(tiny(0f, true), K, new Rng(3));
        model.train(true);
        int seq = 20;
        int[] ids = new int[seq];
        Rng rng = new Rng(9);
        for (int i = 0; i < seq; i++) {
            ids[i] = rng.nextInt(53);
        }
        AdamW opt = new AdamW(model.parameters(), 1e-2f);
        float first = Float.NaN;
        float last = Float.NaN;
        for (int step = 0; step < 60; step++) {
            opt.zeroGrad();
            Tensor loss = model.loss(ids, ids, 1, seq);
            last = loss.item();
            if (step == 0) {
                first = last;
            }
            loss.backward();
            opt.step();
        }
        // Untrained loss is about ln(53) = 3.97; a model that learns the sequence gets near 0.
        assertEquals(Math.log(53), first, 0.2, "initial loss");
        assertTrue(last < 0.1f, "loss after 60 steps: " + last + " (started at " + first + ")");
    }

    @Test
    void dropoutActsOnlyInTraining() {
        Gpt2Model withDropout = new Gpt2Model(tiny(0.3f, true), K, new Rng(5));
        Gpt2Model without = new Gpt2Model(tiny(0f, true), K, new Rng(5)); // same draws, so same weights
        int[] ids = {1, 2, 3, 4, 5, 6, 7, 8};
        float[] reference = without.forward(ids, 1, 8).toArray();
        assertArrayEquals(reference, withDropout.forward(ids, 1, 8).toArray(), "eval mode is dropout-free");
        withDropout.train(true);
        float[] a = withDropout.forward(ids, 1, 8).toArray();
        float[] b = withDropout.forward(ids, 1, 8).toArray();
        assertTrue(Gpt2GoldenTest.maxAbsDiff(reference, a) > 1e-3, "training mode applies dropout");
        assertTrue(Gpt2GoldenTest.maxAbsDiff(a, b) > 1e-3, "each training call draws a fresh mask");
        Tensor loss = Gpt2Model.causalLmLoss(withDropout.forward(ids, 1, 8), ids);
        loss.backward();
        assertTrue(Float.isFinite(loss.item()));
        assertTrue(Gpt2GoldenTest.maxAbs(withDropout.namedParameters().get("h.0.attn.c_attn.weight").grad().toArray()) > 0);
    }

    @Test
    void saveAndReloadKeepsWeightsAndLayout() throws IOException {
        for (boolean tied : new boolean[]{true, false}) {
            Gpt2Model model = new Gpt2Model(tiny(0f, tied), K, new Rng(11));
            model.checkpointPrefix(Gpt2Checkpoint.PREFIX);
            Path dir = tmp.resolve("tied-" + tied);
            model.save(dir);
            Gpt2Model back = Gpt2Model.fromPretrained(dir, K);
            assertEquals(Gpt2Checkpoint.PREFIX, back.checkpointPrefix());
            assertEquals(model.config(), back.config());
            int[] ids = {5, 9, 2, 40, 52, 0};
            assertArrayEquals(model.forward(ids, 2, 3).toArray(), back.forward(ids, 2, 3).toArray());
        }
    }

    @Test
    void badCheckpointsAndInputsAreRejected() throws IOException {
        Files.writeString(tmp.resolve("config.json"), "{\"model_type\":\"bert\",\"hidden_size\":8}");
        IllegalArgumentException bert = assertThrows(IllegalArgumentException.class,
                () -> Gpt2Model.fromPretrained(tmp, K));
        assertTrue(bert.getMessage().contains("\"bert\""), bert.getMessage());

        Gpt2Model model = new Gpt2Model(tiny(0f, true), K, new Rng(1));
        IllegalArgumentException id = assertThrows(IllegalArgumentException.class,
                () -> model.forward(new int[]{1, 53}, 1, 2));
        assertTrue(id.getMessage().contains("token id 53"), id.getMessage());
        IllegalArgumentException longSeq = assertThrows(IllegalArgumentException.class,
                () -> model.forward(new int[25], 1, 25));
        assertTrue(longSeq.getMessage().contains("n_positions 24"), longSeq.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.forward(new int[5], 2, 3));
    }

    @Test
    void lossSkipsIgnoredLabelsAndUsesTheShift() {
        Gpt2Model model = new Gpt2Model(tiny(0f, true), K, new Rng(2));
        int[] ids = {3, 1, 4, 1, 5};
        Tensor logits = model.forward(ids, 1, 5);
        float[] l = logits.toArray();
        // Reference by hand: mean over t = 0..3 (t = 2 ignored) of -log softmax(logits[t])[ids[t+1]].
        int[] labels = {3, 1, 4, Gpt2Model.IGNORE_INDEX, 5};
        double sum = 0;
        int counted = 0;
        for (int t = 0; t < 4; t++) {
            if (labels[t + 1] == Gpt2Model.IGNORE_INDEX) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < 53; v++) {
                max = Math.max(max, l[t * 53 + v]);
            }
            double z = 0;
            for (int v = 0; v < 53; v++) {
                z += Math.exp(l[t * 53 + v] - max);
            }
            sum += -(l[t * 53 + labels[t + 1]] - max - Math.log(z));
            counted++;
        }
        assertEquals(sum / counted, Gpt2Model.causalLmLoss(logits, labels).item(), 1e-5);
    }
}
