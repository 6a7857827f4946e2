package dev.peft4j.peft;

import dev.peft4j.engine.Autograd;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.models.gpt2.Gpt2Config;
import dev.peft4j.models.gpt2.Gpt2Model;

import java.nio.file.Path;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Small models, data and checks shared by the peft tests. */
public final class TinyModels {

    public static final int VOCAB = 13;
    public static final int BATCH = 2;
    public static final int SEQ = 6;

    private TinyModels() {
    }

    /** The HF-layout tiny GPT-2 (and its PyTorch golden) made by tools/golden/make_gpt2_golden.py. */
    public static Path goldenCheckpoint() {
        return Path.of("..", "models", "src", "test", "resources", "gpt2-tiny");
    }

    /** A 2-layer GPT-2 of width 8 with seeded random weights (non-zero biases too) and no dropout. */
    public static Gpt2Model gpt2(Kernels k, long seed) {
        Gpt2Model m = new Gpt2Model(Gpt2Config.of(VOCAB, 16, 8, 2, 2).withDropout(0f), k, new Rng(seed));
        Rng rng = new Rng(seed + 1);
        m.namedParameters().forEach((name, t) -> {
            if (name.endsWith("bias")) {
                t.copyFrom(rng.normal(t.numel(), 0, 0.1));
            } else if (!name.contains("ln_")) {
                t.copyFrom(rng.normal(t.numel(), 0, 0.3));
            }
        });
        return m;
    }

    public static int[] ids(long seed) {
        Rng rng = new Rng(seed);
        int[] ids = new int[BATCH * SEQ];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = rng.nextInt(VOCAB);
        }
        return ids;
    }

    public static Tensor loss(Gpt2Model m, int[] ids) {
        return m.loss(ids, ids, BATCH, SEQ);
    }

    public static float lossValue(Gpt2Model m, int[] ids) {
        try (var ignored = Autograd.noGrad()) {
            return loss(m, ids).item();
        }
    }

    public static float[] logits(Gpt2Model m, int[] ids) {
        try (var ignored = Autograd.noGrad()) {
            return m.forward(ids, BATCH, SEQ).toArray();
        }
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length, "lengths differ");
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** Fills {@code t} with N(0, std²) draws (in place, keeping its identity for optimizers). */
    public static void randomize(Tensor t, Rng rng, double mean, double std) {
        t.copyFrom(rng.normal(t.numel(), mean, std));
    }

    /**
     * Checks {@code grad} (autograd's, of {@code loss} w.r.t. {@code param}) against central differences
     * at {@code samples} entries; the differences are taken in float64 from float32 losses, so the step is
     * large (1e-2) and the tolerance matches float32 loss rounding.
     */
    public static void checkGradient(String what, Tensor param, float[] grad, DoubleSupplier loss, int samples,
                                     Rng rng) {
        float[] values = param.toArray();
        double eps = 1e-2;
        for (int s = 0; s < samples; s++) {
            int i = rng.nextInt(values.length);
            float saved = values[i];
            float up = (float) (saved + eps);
            float down = (float) (saved - eps);
            values[i] = up;
            param.copyFrom(values);
            double plus = loss.getAsDouble();
            values[i] = down;
            param.copyFrom(values);
            double minus = loss.getAsDouble();
            values[i] = saved;
            param.copyFrom(values);
            double numeric = (plus - minus) / ((double) up - down);
            double tol = 2e-3 + 2e-2 * Math.abs(numeric);
            if (Math.abs(numeric - grad[i]) > tol) {
                throw new AssertionError(what + "[" + i + "]: autograd " + grad[i] + " vs central difference " + numeric);
            }
        }
    }
}
