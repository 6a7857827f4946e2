package dev.peft4j.engine;

import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.CPU;
import static dev.peft4j.engine.TestBackend.randomParam;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * x·(W + scatter(idx, v))ᵀ + b: float64 forward and every gradient (x, v, W, b) for both weight layouts,
 * the values' gradient equals the dense dW gathered at the indices on both of its paths (sampled below
 * the backend's {@code sampledGemmMaxDensity()}, dense above), a frozen W keeps no dense dW, and malformed
 * patterns are refused.
 */
class SparseDeltaOpTest {

    private static final int OUT = 5;
    private static final int IN = 4;
    // Entries spread over rows 0, 1, 3, 4 with gaps, a full row run (row 3) and the last entry: 40 % dense.
    private static final int[] IDX = {1, 2, 7, 12, 13, 14, 15, 19};
    // A 40 x 30 weight at 0.83 %, below the crossover: runs, gaps, a row's first and last entries, the last one.
    private static final int SPARSE_OUT = 40;
    private static final int SPARSE_IN = 30;
    private static final int[] SPARSE_IDX = {0, 29, 30, 31, 32, 417, 600, 899, 1000, 1199};

    /** Dense [out, in] W + scatter in float64 from W as stored. */
    private static double[] effective(double[] w, double[] v, boolean inOut) {
        double[] d = new double[OUT * IN];
        for (int o = 0; o < OUT; o++) {
            for (int i = 0; i < IN; i++) {
                d[o * IN + i] = inOut ? w[i * OUT + o] : w[o * IN + i];
            }
        }
        for (int k = 0; k < IDX.length; k++) {
            d[IDX[k]] += v[k];
        }
        return d;
    }

    @Test
    void matchesFloat64InBothLayouts() {
        for (boolean inOut : new boolean[] {false, true}) {
            SparseDeltaOp.Pattern p = SparseDeltaOp.Pattern.of(OUT, IN, inOut, IDX, "test");
            int[] wShape = inOut ? new int[] {IN, OUT} : new int[] {OUT, IN};
            GradCheck.againstReference("sparse delta linear, inOut=" + inOut,
                    in -> SparseDeltaOp.linear(in[0], in[1], in[2], p, in[3]),
                    in -> Reference.linear(in[0], effective(in[1], in[3], inOut), in[2], 6, IN, OUT),
                    randomParam(1, 1, 2, 3, IN), randomParam(2, 1, wShape), randomParam(3, 1, OUT),
                    randomParam(4, 1, IDX.length));
            GradCheck.againstEngine("sparse delta linear fd, inOut=" + inOut,
                    in -> SparseDeltaOp.linear(in[0], in[1], null, p, in[2]),
                    randomParam(5, 1, 3, IN), Tensor.of(CPU, GradCheck.random(6, OUT * IN, 1), wShape),
                    randomParam(7, 1, IDX.length));
        }
    }

    @Test
    void valueGradientIsTheDenseGradientGatheredAtTheIndicesOnBothPaths() {
        assertTrue(IDX.length > CPU.sampledGemmMaxDensity() * OUT * IN, "IDX takes the dense path");
        assertTrue(SPARSE_IDX.length <= CPU.sampledGemmMaxDensity() * SPARSE_OUT * SPARSE_IN,
                "SPARSE_IDX takes the sampled path");
        for (boolean inOut : new boolean[] {false, true}) {
            checkValueGradient(OUT, IN, IDX, inOut, "sampledGemm", 0);
            checkValueGradient(SPARSE_OUT, SPARSE_IN, SPARSE_IDX, inOut, "sampledGemm", 1);
        }
    }

    /** dv against the dense [out, in] gradient of the scattered weight; {@code kernel} ran {@code times}. */
    private static void checkValueGradient(int out, int in, int[] idx, boolean inOut, String kernel, int times) {
        SparseDeltaOp.Pattern p = SparseDeltaOp.Pattern.of(out, in, inOut, idx, "test");
        int[] wShape = inOut ? new int[] {in, out} : new int[] {out, in};
        float[] x = GradCheck.random(8, 7 * in, 1);
        float[] w = GradCheck.random(9, out * in, 1);
        float[] v = GradCheck.random(10, idx.length, 1);
        float[] r = GradCheck.random(11, 7 * out, 1);

        var counting = new TestBackend.Counting();
        Tensor values = Tensor.of(counting.kernels, v, idx.length).requiresGrad(true);
        Tensor y = SparseDeltaOp.linear(Tensor.of(counting.kernels, x, 7, in), Tensor.of(counting.kernels, w, wShape),
                null, p, values);
        counting.reset();
        y.backward(Tensor.of(counting.kernels, r, 7, out));
        assertEquals(times, counting.count(kernel), out + "x" + in + ": " + counting.calls);

        // Dense: the scattered weight as a trainable [out, in] matrix through the plain linear op.
        Tensor dense = SparseDeltaOp.scattered(Tensor.of(CPU, w, wShape), p, Tensor.of(CPU, v, idx.length));
        Tensor denseOutIn = (inOut ? dense.t().contiguous() : dense).detach().requiresGrad(true);
        Functional.linear(Tensor.of(CPU, x, 7, in), denseOutIn, null).backward(Tensor.of(CPU, r, 7, out));
        float[] dW = denseOutIn.grad().toArray();
        float[] dv = values.grad().toArray();
        for (int k = 0; k < idx.length; k++) {
            assertEquals(dW[idx[k]], dv[k], 1e-5 * (1 + Math.abs(dW[idx[k]])),
                    out + "x" + in + ", inOut=" + inOut + ", entry " + k);
        }
    }

    @Test
    void scatteredAddsTheValuesAtTheirStoragePositionsOnly() {
        float[] w = GradCheck.random(12, OUT * IN, 1);
        float[] v = {10, 20, 30, 40, 50, 60, 70, 80};
        float[] got = SparseDeltaOp.scattered(Tensor.of(CPU, w, IN, OUT),
                SparseDeltaOp.Pattern.of(OUT, IN, true, IDX, "test"), Tensor.of(CPU, v, v.length)).toArray();
        float[] want = w.clone();
        for (int k = 0; k < IDX.length; k++) {
            int o = IDX[k] / IN;
            int i = IDX[k] % IN;
            want[i * OUT + o] += v[k];
        }
        assertArrayEquals(want, got);
    }

    @Test
    void frozenWeightCostsNoDenseGradientBelowTheCrossover() {
        var counting = new TestBackend.Counting();
        SparseDeltaOp.Pattern p = SparseDeltaOp.Pattern.of(SPARSE_OUT, SPARSE_IN, false, SPARSE_IDX, "test");
        Tensor w = Tensor.of(counting.kernels, GradCheck.random(13, SPARSE_OUT * SPARSE_IN, 1), SPARSE_OUT, SPARSE_IN);
        Tensor v = Tensor.of(counting.kernels, new float[SPARSE_IDX.length], SPARSE_IDX.length).requiresGrad(true);
        Tensor x = Tensor.of(counting.kernels, GradCheck.random(14, 3 * SPARSE_IN, 1), 3, SPARSE_IN)
                .requiresGrad(true);
        Tensor loss = SparseDeltaOp.linear(x, w, null, p, v).sum();
        counting.reset();
        loss.backward();
        assertEquals(1, counting.count("gemm"), "dX only, no dense dW");
        assertEquals(1, counting.count("sampledGemm"), "values at their indices");
        assertNull(w.grad());
        assertTrue(v.grad() != null);

        Tensor x0 = Tensor.of(counting.kernels, GradCheck.random(15, 3 * SPARSE_IN, 1), 3, SPARSE_IN); // frozen input
        Tensor loss0 = SparseDeltaOp.linear(x0, w, null, p, v).sum();
        counting.reset();
        loss0.backward();
        assertEquals(0, counting.count("gemm"), "no dX for a frozen input");
        assertEquals(1, counting.count("sampledGemm"));
    }

    @Test
    void malformedPatternsAndShapesAreRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SparseDeltaOp.Pattern.of(OUT, IN, false, new int[] {3, 3}, "layer h.0"));
        assertEquals("layer h.0: indices must ascend strictly, but index 0 = 3 and index 1 = 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> SparseDeltaOp.Pattern.of(OUT, IN, false, new int[] {0, 20}, "layer h.0"));
        assertEquals("layer h.0: index 1 = 20 is outside [0, 20) for a [5, 4] weight", e.getMessage());
        SparseDeltaOp.Pattern p = SparseDeltaOp.Pattern.of(OUT, IN, true, IDX, "t");
        e = assertThrows(IllegalArgumentException.class, () -> SparseDeltaOp.linear(Tensor.zeros(CPU, 2, IN),
                Tensor.zeros(CPU, OUT, IN), null, p, Tensor.zeros(CPU, IDX.length)));
        assertEquals("sparseDeltaLinear: weight [5, 4] differs from the pattern's [4, 5] ([in, out] storage)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SparseDeltaOp.linear(Tensor.zeros(CPU, 2, IN),
                Tensor.zeros(CPU, IN, OUT), null, p, Tensor.zeros(CPU, 3)));
        assertEquals("sparseDeltaLinear: values [3] do not match the pattern's 8 indices (expected [8])", e.getMessage());
    }
}
