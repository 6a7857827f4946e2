package dev.peft4j.engine.nn;

import dev.peft4j.engine.Functional;
import dev.peft4j.engine.Rng;
import dev.peft4j.engine.Tensor;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Forward shapes and values of the layers, checked by plain host loops in float64. */
class LayersTest {

    private static Kernels k;

    @BeforeAll
    static void open() {
        k = new CpuKernels();
    }

    @AfterAll
    static void close() {
        k.close();
    }

    @Test
    void linearInitFollowsPyTorchBounds() {
        int in = 64;
        int out = 48;
        Linear l = new Linear(k, in, out, true, new Rng(3));
        assertArrayEquals(new int[] {out, in}, l.weight().shape(), "weight is [out, in]");
        assertArrayEquals(new int[] {out}, l.bias().shape());
        double bound = 1 / Math.sqrt(in);
        float[] w = l.weight().toArray();
        double sumSq = 0;
        for (float v : w) {
            assertTrue(Math.abs(v) <= bound, "weight " + v + " beyond 1/sqrt(in) = " + bound);
            sumSq += v * v;
        }
        // uniform(±b) has variance b²/3; with 3072 draws the estimate is within ~5% (5 sigma ~ 13%)
        assertEquals(bound * bound / 3, sumSq / w.length, 0.13 * bound * bound / 3);
        for (float v : l.bias().toArray()) {
            assertTrue(Math.abs(v) <= bound, "bias " + v);
        }
        assertArrayEquals(w, new Linear(k, in, out, true, new Rng(3)).weight().toArray(), "same seed, same init");
        assertNull(new Linear(k, in, out, false, new Rng(3)).bias());
    }

    @Test
    void linearForwardComputesXWtPlusB() {
        Rng rng = new Rng(4);
        Linear l = new Linear(k, 5, 3, true, rng);
        float[] x = rng.normal(2 * 4 * 5, 0, 1);
        Tensor y = l.forward(Tensor.of(k, x, 2, 4, 5));
        assertArrayEquals(new int[] {2, 4, 3}, y.shape());
        float[] w = l.weight().toArray();
        float[] b = l.bias().toArray();
        float[] got = y.toArray();
        for (int r = 0; r < 8; r++) {
            for (int o = 0; o < 3; o++) {
                double acc = b[o];
                for (int i = 0; i < 5; i++) {
                    acc += (double) x[r * 5 + i] * w[o * 5 + i];
                }
                assertEquals(acc, got[r * 3 + o], 1e-5, "y[" + r + "," + o + "]");
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> l.forward(Tensor.zeros(k, 2, 4)));
        assertTrue(e.getMessage().contains("[2, 4]") && e.getMessage().contains("5"), e.getMessage());
    }

    @Test
    void linearBackwardReachesOnlyTrainableParameters() {
        Linear l = new Linear(k, 3, 2, true, new Rng(5));
        l.freeze(n -> n.equals("weight"));
        Tensor x = Tensor.of(k, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        l.forward(x).sum().backward();
        assertNull(l.weight().grad(), "frozen weight gets no gradient");
        assertNotNull(l.bias().grad());
        assertArrayEquals(new float[] {2, 2}, l.bias().grad().toArray(), 0f, "d sum / d b = rows");
    }

    @Test
    void embeddingLooksUpRows() {
        Embedding e = new Embedding(k, 7, 3, new Rng(6));
        float[] table = e.weight().toArray();
        double sumSq = 0;
        for (float v : table) {
            sumSq += v * v;
        }
        assertTrue(sumSq / table.length > 0.2 && sumSq / table.length < 3, "normal(0,1) init, mean square "
                + sumSq / table.length);
        Tensor y = e.forward(new int[] {6, 0, 6, 2}, 2, 2);
        assertArrayEquals(new int[] {2, 2, 3}, y.shape());
        float[] got = y.toArray();
        int[] ids = {6, 0, 6, 2};
        for (int i = 0; i < 4; i++) {
            for (int d = 0; d < 3; d++) {
                assertEquals(table[ids[i] * 3 + d], got[i * 3 + d], 0f);
            }
        }
        assertArrayEquals(got, e.forward(Tensor.of(k, new float[] {6, 0, 6, 2}, 2, 2)).toArray(), 0f);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> e.forward(Tensor.of(k, new float[] {1.5f}, 1)));
        assertTrue(ex.getMessage().contains("1.5"), ex.getMessage());
    }

    @Test
    void layerNormAndRmsNormNormaliseTheLastAxis() {
        Rng rng = new Rng(7);
        int rows = 3;
        int dim = 6;
        float[] x = rng.normal(rows * dim, 2, 3);
        float[] gamma = rng.normal(dim, 1, 0.5);
        float[] beta = rng.normal(dim, 0, 0.5);
        LayerNorm ln = new LayerNorm(Tensor.of(k, gamma, dim), Tensor.of(k, beta, dim), 1e-5f);
        RMSNorm rms = new RMSNorm(Tensor.of(k, gamma, dim), 1e-6f);
        float[] gotLn = ln.forward(Tensor.of(k, x, rows, dim)).toArray();
        float[] gotRms = rms.forward(Tensor.of(k, x, rows, dim)).toArray();
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            double meanSq = 0;
            for (int c = 0; c < dim; c++) {
                mean += x[r * dim + c];
                meanSq += (double) x[r * dim + c] * x[r * dim + c];
            }
            mean /= dim;
            meanSq /= dim;
            double var = 0;
            for (int c = 0; c < dim; c++) {
                var += (x[r * dim + c] - mean) * (x[r * dim + c] - mean);
            }
            var /= dim; // biased, as PyTorch's layer_norm
            for (int c = 0; c < dim; c++) {
                double wantLn = (x[r * dim + c] - mean) / Math.sqrt(var + 1e-5) * gamma[c] + beta[c];
                double wantRms = x[r * dim + c] / Math.sqrt(meanSq + 1e-6) * gamma[c];
                assertEquals(wantLn, gotLn[r * dim + c], 1e-5, "layerNorm[" + r + "," + c + "]");
                assertEquals(wantRms, gotRms[r * dim + c], 1e-5, "rmsNorm[" + r + "," + c + "]");
            }
        }
        LayerNorm fresh = new LayerNorm(k, dim, 1e-5f);
        assertArrayEquals(new float[] {1, 1, 1, 1, 1, 1}, fresh.weight().toArray(), 0f);
        assertArrayEquals(new float[6], fresh.bias().toArray(), 0f);
        assertNull(new LayerNorm(k, dim, 1e-5f, false).bias());
        assertThrows(IllegalArgumentException.class, () -> rms.forward(Tensor.zeros(k, 2, 5)));
    }

    @Test
    void dropoutIsSeededAdvancesPerCallAndIdentityInEval() {
        int n = 4000;
        Tensor x = Tensor.full(k, 2f, n);
        Dropout d = new Dropout(0.25f, 99L);
        float[] first = d.forward(x).toArray();
        float[] second = d.forward(x).toArray();
        assertEquals(2, d.calls());
        int zeros = 0;
        for (float v : first) {
            assertTrue(v == 0f || Math.abs(v - 2f / 0.75f) < 1e-6f, "kept values are scaled by 1/(1-p): " + v);
            zeros += v == 0f ? 1 : 0;
        }
        // Binomial(4000, 0.25): mean 1000, sigma ~27
        assertEquals(1000, zeros, 5 * 27.4);
        assertFalse(java.util.Arrays.equals(first, second), "each call draws a new mask");
        Dropout replay = new Dropout(0.25f, 99L);
        assertArrayEquals(first, replay.forward(x).toArray(), 0f, "same seed replays the same masks");
        assertArrayEquals(second, replay.forward(x).toArray(), 0f);
        assertArrayEquals(first, Functional.dropout(x, 0.25f, d.seedFor(0), true).toArray(), 0f);

        d.eval();
        assertSame(x, d.forward(x), "identity in eval mode");
        assertEquals(2, d.calls(), "eval calls do not advance the seed");
        assertSame(x, new Dropout(0f, 1L).forward(x));
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1f, 1L));
    }
}
