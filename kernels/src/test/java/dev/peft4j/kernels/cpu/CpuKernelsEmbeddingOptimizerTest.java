package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.assertClose;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.buf;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.toDouble;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CpuKernelsEmbeddingOptimizerTest {

    static Stream<CpuKernels> backends() {
        return CpuKernelsTestSupport.backends();
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void embeddingGathersRowsAndBackwardScatterAddsRepeatedIds(CpuKernels k) {
        Random rnd = new Random(17);
        for (int dim : new int[] {1, 7, 33, 257}) {
            int tableRows = 11;
            float[] table = uniform(rnd, 3 + tableRows * dim, -1, 1);
            int[] ids = {4, 0, 10, 4, 4, 7, 0, 1, 9, 4};
            float[] out = new float[ids.length * dim];
            k.embedding(buf(table), 3, tableRows, dim, ids, buf(out), 0);
            for (int i = 0; i < ids.length; i++) {
                for (int c = 0; c < dim; c++) {
                    assertEquals(table[3 + ids[i] * dim + c], out[i * dim + c], "embedding row " + i);
                }
            }
            float[] dOut = uniform(rnd, ids.length * dim, -1, 1);
            float[] dTable = uniform(rnd, 2 + tableRows * dim, -1, 1);
            double[] expected = toDouble(dTable);
            for (int i = 0; i < ids.length; i++) {
                for (int c = 0; c < dim; c++) {
                    expected[2 + ids[i] * dim + c] += dOut[i * dim + c];
                }
            }
            float[] serial = dTable.clone();
            k.embeddingBackward(buf(dOut), 0, ids, dim, buf(dTable), 2);
            assertClose(expected, dTable, 1e-6, 1e-6, "embeddingBackward dim=" + dim);
            CpuKernelsTestSupport.SERIAL.embeddingBackward(buf(dOut), 0, ids, dim, buf(serial), 2);
            assertArrayEquals(serial, dTable, "repeated ids must add up in the same order on any thread count");
        }
    }

    @Test
    void embeddingNamesAnIdOutsideTheTable() {
        CpuKernels k = CpuKernelsTestSupport.DEFAULT;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> k.embedding(new CpuBuffer(40), 0, 10, 4, new int[] {1, 2, 3, 10}, new CpuBuffer(16), 0));
        assertTrue(e.getMessage().contains("ids[3] = 10"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> k.embeddingBackward(new CpuBuffer(8), 0, new int[] {-1, 2}, 4, new CpuBuffer(40), 0));
        assertTrue(e.getMessage().contains("ids[0] = -1"), e.getMessage());
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void adamWFollowsPyTorchOverThreeSteps(CpuKernels k) {
        Random rnd = new Random(18);
        int n = 1001;
        float lr = 1e-2f;
        float beta1 = 0.9f;
        float beta2 = 0.999f;
        float eps = 1e-8f;
        float wd = 0.05f;
        float[] p = uniform(rnd, n, -1, 1);
        float[] m = new float[n];
        float[] v = new float[n];
        double[] pr = toDouble(p);
        double[] mr = new double[n];
        double[] vr = new double[n];
        for (int step = 1; step <= 3; step++) {
            float[] g = uniform(rnd, n, -1, 1);
            k.adamW(buf(p), 0, buf(g), 0, buf(m), 0, buf(v), 0, n, lr, beta1, beta2, eps, wd, step);
            double bc1 = 1 - Math.pow(beta1, step);
            double bc2 = 1 - Math.pow(beta2, step);
            for (int i = 0; i < n; i++) {
                pr[i] *= 1 - (double) lr * wd;
                mr[i] = beta1 * mr[i] + (1 - (double) beta1) * g[i];
                vr[i] = beta2 * vr[i] + (1 - (double) beta2) * g[i] * g[i];
                pr[i] -= lr / bc1 * mr[i] / (Math.sqrt(vr[i]) / Math.sqrt(bc2) + eps);
            }
            assertClose(mr, m, 1e-5, 1e-7, "adamW m step " + step);
            assertClose(vr, v, 1e-5, 1e-9, "adamW v step " + step);
            assertClose(pr, p, 1e-5, 1e-6, "adamW param step " + step);
        }
        assertThrows(IllegalArgumentException.class,
                () -> k.adamW(buf(p), 0, buf(p), 0, buf(m), 0, buf(v), 0, n, lr, beta1, beta2, eps, wd, 0));
    }

    /** (momentum, dampening, weight decay, nesterov) settings of PyTorch's SGD. */
    static Stream<float[]> sgdSettings() {
        return Stream.of(
                new float[] {0f, 0f, 0f, 0},
                new float[] {0f, 0f, 0.01f, 0},
                new float[] {0.9f, 0f, 0f, 0},
                new float[] {0.9f, 0.1f, 0.01f, 0},
                new float[] {0.9f, 0f, 0.01f, 1});
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("sgdSettings")
    void sgdFollowsPyTorchOverThreeSteps(float[] setting) {
        float momentum = setting[0];
        float dampening = setting[1];
        float wd = setting[2];
        boolean nesterov = setting[3] != 0;
        float lr = 0.05f;
        Random rnd = new Random(19);
        int n = 517;
        for (CpuKernels k : new CpuKernels[] {CpuKernelsTestSupport.DEFAULT, CpuKernelsTestSupport.FORKING}) {
            float[] p = uniform(rnd, n, -1, 1);
            float[] buf = momentum != 0 ? uniform(rnd, n, 5, 6) : null; // garbage: the first step must overwrite it
            double[] pr = toDouble(p);
            double[] br = new double[n];
            for (int step = 1; step <= 3; step++) {
                float[] g = uniform(rnd, n, -1, 1);
                k.sgd(buf(p), 0, buf(g), 0, buf == null ? null : buf(buf), 0, n, lr, momentum, dampening, wd,
                        nesterov, step == 1);
                for (int i = 0; i < n; i++) {
                    double d = g[i] + wd * pr[i];
                    if (momentum != 0) {
                        br[i] = step == 1 ? d : momentum * br[i] + (1 - dampening) * d;
                        d = nesterov ? d + momentum * br[i] : br[i];
                    }
                    pr[i] -= lr * d;
                }
                assertClose(pr, p, 1e-5, 1e-6, "sgd param step " + step + " momentum " + momentum + " nesterov " + nesterov);
                if (buf != null) {
                    assertClose(br, buf, 1e-5, 1e-6, "sgd momentum buffer step " + step);
                }
            }
        }
    }

    @Test
    void sgdWithMomentumNeedsABuffer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuKernelsTestSupport.DEFAULT.sgd(new CpuBuffer(4), 0, new CpuBuffer(4), 0, null, 0, 4,
                        0.1f, 0.9f, 0f, 0f, false, true));
        assertTrue(e.getMessage().contains("momentumBuf"), e.getMessage());
    }
}
