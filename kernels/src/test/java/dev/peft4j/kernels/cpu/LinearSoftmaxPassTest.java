package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.assertClose;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.buf;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vocabulary pass of the fused LM-head loss against a float64 reference: max, Σ exp(l - max) and
 * Σ exp(l - max)·W[v] per row, on one thread and split among threads (whose states are merged), with a weight
 * whose later rows score higher so the running max moves between blocks and the later part's max wins the
 * merge.
 */
class LinearSoftmaxPassTest {

    private static final int ROWS = 37;
    private static final int IN = 24;
    private static final int VOCAB = 301;

    private static final CpuKernels SPLIT3 = new CpuKernels(3, 64);

    private static float[] weight(Random rnd) {
        float[] w = uniform(rnd, VOCAB * IN, -0.5, 0.5);
        for (int v = 0; v < VOCAB; v++) {
            for (int c = 0; c < IN; c++) {
                w[v * IN + c] *= 1f + 3f * v / VOCAB;
            }
        }
        return w;
    }

    /** {max, sum, acc} per row in float64, from the logits of x and the (possibly rounded) weight. */
    private static double[][] reference(float[] x, float[] w) {
        double[] max = new double[ROWS];
        double[] sum = new double[ROWS];
        double[] acc = new double[ROWS * IN];
        for (int r = 0; r < ROWS; r++) {
            double[] l = new double[VOCAB];
            double m = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < VOCAB; v++) {
                for (int c = 0; c < IN; c++) {
                    l[v] += (double) x[r * IN + c] * w[v * IN + c];
                }
                m = Math.max(m, l[v]);
            }
            max[r] = m;
            for (int v = 0; v < VOCAB; v++) {
                double e = Math.exp(l[v] - m);
                sum[r] += e;
                for (int c = 0; c < IN; c++) {
                    acc[r * IN + c] += e * w[v * IN + c];
                }
            }
        }
        return new double[][] {max, sum, acc};
    }

    private static void assertPass(Kernels k, float[] x, Buffer w, float[] wValues, int block, boolean withAcc) {
        float[] max = new float[ROWS];
        float[] sum = new float[ROWS];
        float[] acc = withAcc ? new float[ROWS * IN] : null;
        float[] xPadded = new float[3 + ROWS * IN]; // x at an offset
        System.arraycopy(x, 0, xPadded, 3, x.length);
        k.linearSoftmaxPass(buf(xPadded), 3, ROWS, IN, w, 0, VOCAB, block, buf(max), buf(sum),
                withAcc ? buf(acc) : null);
        double[][] ref = reference(x, wValues);
        String what = k + " block " + block;
        assertClose(ref[0], max, 1e-5, 1e-5, what + " max");
        assertClose(ref[1], sum, 2e-5, 0, what + " sum");
        if (withAcc) {
            assertClose(ref[2], acc, 2e-5, 2e-5, what + " acc");
        }
    }

    @Test
    void matchesTheReferenceOnOneThreadAndSplitAmongThreads() {
        Random rnd = new Random(3);
        float[] x = uniform(rnd, ROWS * IN, -2, 2);
        float[] w = weight(rnd);
        for (Kernels k : new Kernels[] {CpuKernelsTestSupport.SERIAL, CpuKernelsTestSupport.FORKING, SPLIT3}) {
            for (int block : new int[] {16, 100, 1000}) {
                assertPass(k, x, buf(w), w, block, true);
            }
            assertPass(k, x, buf(w), w, 32, false);
        }
    }

    @Test
    void aBf16WeightIsWidenedExactly() {
        Random rnd = new Random(4);
        float[] x = uniform(rnd, ROWS * IN, -2, 2);
        float[] w = weight(rnd);
        float[] rounded = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            rounded[i] = Bf16.widen(Bf16.round(w[i]));
        }
        for (CpuKernels k : new CpuKernels[] {CpuKernelsTestSupport.SERIAL, SPLIT3}) {
            Buffer wBf16 = k.toBf16(buf(w), 0, w.length);
            assertPass(k, x, wBf16, rounded, 50, true);
        }
    }

    @Test
    void theSplitAgreesWithTheComposedDefault() {
        Random rnd = new Random(5);
        float[] x = uniform(rnd, ROWS * IN, -2, 2);
        float[] w = weight(rnd);
        float[][] split = new float[3][];
        float[][] composed = new float[3][];
        for (float[][] out : new float[][][] {split, composed}) {
            out[0] = new float[ROWS];
            out[1] = new float[ROWS];
            out[2] = new float[ROWS * IN];
        }
        SPLIT3.linearSoftmaxPass(buf(x), 0, ROWS, IN, buf(w), 0, VOCAB, 40, buf(split[0]), buf(split[1]),
                buf(split[2]));
        // The interface's default (what the OpenCL backend runs), every other kernel SPLIT3's.
        Kernels composedPass = (Kernels) Proxy.newProxyInstance(Kernels.class.getClassLoader(),
                new Class<?>[] {Kernels.class}, (proxy, method, args) -> method.getName().equals("linearSoftmaxPass")
                        ? InvocationHandler.invokeDefault(proxy, method, args) : method.invoke(SPLIT3, args));
        composedPass.linearSoftmaxPass(buf(x), 0, ROWS, IN, buf(w), 0, VOCAB, 40, buf(composed[0]),
                buf(composed[1]), buf(composed[2]));
        assertArrayEquals(composed[0], split[0], 0f, "max is exact either way");
        assertArrayEquals(composed[1], split[1], 1e-4f);
        assertArrayEquals(composed[2], split[2], 1e-4f);
    }

    @Test
    void refusesEmptySizes() {
        Buffer one = buf(new float[4]);
        assertThrows(IllegalArgumentException.class,
                () -> SPLIT3.linearSoftmaxPass(one, 0, 0, 2, one, 0, 2, 1, one, one, one));
        assertThrows(IllegalArgumentException.class,
                () -> SPLIT3.linearSoftmaxPass(one, 0, 1, 2, one, 0, 2, 0, one, one, one));
    }
}
