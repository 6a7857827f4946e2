package dev.peft4j.models.gpt2;

import dev.peft4j.engine.Tensor;
import dev.peft4j.engine.io.HostTensor;
import dev.peft4j.engine.io.SafetensorsReader;
import dev.peft4j.engine.optim.AdamW;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * llm.c's test_gpt2 for peft4j: logits, loss, every parameter gradient and a 10-step AdamW loss trajectory
 * against a tiny GPT-2 computed by plain PyTorch in float64 (tools/golden/make_gpt2_golden.py).
 *
 * <p>Tolerances: the fixture is the float64 answer for the stored float32 weights, so every difference is
 * our own float32 rounding. Measured on the CPU backend: logits 3e-6, loss < 1e-6, gradients at most
 * ~1.2e-6 of each tensor's largest gradient, AdamW losses 1e-6. The bounds keep a 25-100x margin for other
 * summation orders (threads, vector widths, OpenCL) yet stay 100x+ tighter than llm.c's 1e-2 / 2e-2, so a
 * wrong formula (a missing bias, an untied head, an unshifted label) fails by orders of magnitude.
 */
class Gpt2GoldenTest {

    private static final double LOGITS_TOL = 1e-4;
    private static final double GRAD_REL_TOL = 3e-5;
    private static final double TRAJECTORY_TOL = 1e-4;

    private static Kernels kernels;
    private static Map<String, HostTensor> golden;
    private static int batch;
    private static int seq;
    private static int[] ids;
    private static int[] labels;

    @BeforeAll
    static void load() throws Exception {
        kernels = new CpuKernels();
        try (SafetensorsReader r = SafetensorsReader.open(Gpt2ConfigTest.tinyDir().resolve("golden.safetensors"))) {
            golden = r.readAll();
        }
        int[] shape = golden.get("input_ids").shape();
        batch = shape[0];
        seq = shape[1];
        ids = toInts(golden.get("input_ids").data());
        labels = toInts(golden.get("labels").data());
        assertTrue(Arrays.stream(labels).anyMatch(l -> l == Gpt2Model.IGNORE_INDEX), "fixture has an ignored label");
    }

    @Test
    void logitsLossAndEveryGradientMatchPyTorch() throws Exception {
        Gpt2Model model = Gpt2Model.fromPretrained(Gpt2ConfigTest.tinyDir(), kernels);
        Tensor logits = model.forward(ids, batch, seq);
        assertArrayEquals(golden.get("logits").shape(), logits.shape());
        double logitsDiff = maxAbsDiff(golden.get("logits").data(), logits.toArray());
        assertTrue(logitsDiff < LOGITS_TOL, "logits max |diff| " + logitsDiff);

        Tensor loss = Gpt2Model.causalLmLoss(logits, labels);
        double lossDiff = Math.abs(loss.item() - golden.get("loss").data()[0]);
        assertTrue(lossDiff < LOGITS_TOL, "loss " + loss.item() + " vs " + golden.get("loss").data()[0]);

        loss.backward();
        Map<String, Tensor> params = model.namedParameters();
        assertEquals(28, params.size());
        StringBuilder report = new StringBuilder();
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            HostTensor expected = golden.get("grad." + e.getKey());
            Tensor grad = e.getValue().grad();
            assertArrayEquals(expected.shape(), grad.shape(), e.getKey());
            double scale = maxAbs(expected.data());
            double diff = maxAbsDiff(expected.data(), grad.toArray());
            assertTrue(scale > 0, e.getKey() + " has an all-zero reference gradient");
            report.append(String.format("%s %.2e/%.2e%n", e.getKey(), diff, scale));
            assertTrue(diff <= GRAD_REL_TOL * scale, "gradient of " + e.getKey() + ": max |diff| " + diff
                    + " > " + GRAD_REL_TOL + " x max |grad| " + scale);
        }
        System.out.printf("gpt2 golden: logits %.2e, loss %.2e%n%s", logitsDiff, lossDiff, report);
    }

    @Test
    void adamWTrajectoryMatchesPyTorch() throws Exception {
        Gpt2Model model = Gpt2Model.fromPretrained(Gpt2ConfigTest.tinyDir(), kernels);
        float[] expected = golden.get("adamw_losses").data();
        AdamW opt = new AdamW(model.parameters(), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f);
        double worst = 0;
        for (int step = 0; step < expected.length; step++) {
            opt.zeroGrad();
            Tensor loss = model.loss(ids, labels, batch, seq);
            worst = Math.max(worst, Math.abs(loss.item() - expected[step]));
            assertEquals(expected[step], loss.item(), TRAJECTORY_TOL, "loss at step " + step);
            loss.backward();
            opt.step();
        }
        assertTrue(expected[expected.length - 1] < expected[0] - 1f, "the fixture trajectory should fall");
        System.out.printf("gpt2 golden: adamw trajectory max |diff| %.2e over %d steps%n", worst, expected.length);
    }

    static int[] toInts(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Math.round(values[i]);
        }
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
