package dev.peft4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.peft4j.kernels.Kernels;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The CPU sampled GEMM against the dense float64 gradient gathered at the indices, over shapes with vector
 * tails, densities from one index to all of them, alpha/beta, and one vs two threads.
 */
class SampledGemmTest {

    /** float32 sums over at most ~70 rows: error stays far below 1e-5 of the sum of |terms|. */
    static final double REL_TOL = 1e-5;

    private static final int[][] SHAPES = {{1, 1, 1}, {5, 3, 17}, {37, 9, 31}, {64, 20, 40}, {70, 33, 65}};
    private static final double[] DENSITIES = {0.0, 0.02, 0.2, 0.7, 1.0};

    @Test
    void matchesTheDenseGradientAtTheIndices() {
        Random rnd = new Random(7);
        for (int[] s : SHAPES) {
            for (double density : DENSITIES) {
                SampledGemmFixture f = SampledGemmFixture.random(rnd, s[0], s[1], s[2], density);
                float[] got = run(CpuKernelsTestSupport.FORKING, f, 1f, 0f, new float[f.idx().length]);
                assertNear(f.reference(), f.magnitude(), 1.0, got, "shape " + Arrays.toString(s) + " density " + density);
            }
        }
    }

    @Test
    void alphaScalesAndBetaAccumulates() {
        Random rnd = new Random(11);
        SampledGemmFixture f = SampledGemmFixture.random(rnd, 23, 12, 19, 0.3);
        float[] prior = new float[f.idx().length];
        for (int i = 0; i < prior.length; i++) {
            prior[i] = rnd.nextFloat();
        }
        float[] got = run(CpuKernelsTestSupport.DEFAULT, f, -0.5f, 1f, prior.clone());
        double[] ref = f.reference();
        double[] expected = new double[ref.length];
        for (int i = 0; i < ref.length; i++) {
            expected[i] = -0.5 * ref[i] + prior[i];
        }
        assertNear(expected, f.magnitude(), 0.5, got, "alpha -0.5, beta 1");

        float[] nan = new float[prior.length];
        Arrays.fill(nan, Float.NaN);
        float[] overwritten = run(CpuKernelsTestSupport.DEFAULT, f, 2f, 0f, nan);
        for (int i = 0; i < ref.length; i++) {
            expected[i] = 2 * ref[i];
        }
        assertNear(expected, f.magnitude(), 2, overwritten, "beta 0 ignores NaN in out");
    }

    @Test
    void resultDoesNotDependOnTheThreadCount() {
        SampledGemmFixture f = SampledGemmFixture.random(new Random(3), 50, 40, 48, 0.4);
        float[] serial = run(CpuKernelsTestSupport.SERIAL, f, 1f, 0f, new float[f.idx().length]);
        float[] forked = run(CpuKernelsTestSupport.FORKING, f, 1f, 0f, new float[f.idx().length]);
        assertArrayEquals(serial, forked);
    }

    @Test
    void rejectsUnsortedDuplicateAndOutOfRangeIndices() {
        CpuKernels k = CpuKernelsTestSupport.DEFAULT;
        CpuBuffer a = new CpuBuffer(12);
        CpuBuffer b = new CpuBuffer(15);
        CpuBuffer out = new CpuBuffer(4);
        String unsorted = assertThrows(IllegalArgumentException.class,
                () -> k.sampledGemm(3, 4, 5, 1f, a, 0, 4, b, 0, 5, new int[]{3, 2}, 2, 0f, out, 0)).getMessage();
        assertTrue(unsorted.contains("ascend"), unsorted);
        assertThrows(IllegalArgumentException.class,
                () -> k.sampledGemm(3, 4, 5, 1f, a, 0, 4, b, 0, 5, new int[]{2, 2}, 2, 0f, out, 0));
        String outside = assertThrows(IllegalArgumentException.class,
                () -> k.sampledGemm(3, 4, 5, 1f, a, 0, 4, b, 0, 5, new int[]{1, 20}, 2, 0f, out, 0)).getMessage();
        assertTrue(outside.contains("idx[1] = 20"), outside);
        assertThrows(IndexOutOfBoundsException.class, // X needs 3 rows of 5 at offset 1: 16 floats
                () -> k.sampledGemm(3, 4, 5, 1f, a, 0, 4, b, 1, 5, new int[]{1}, 1, 0f, out, 0));
    }

    static float[] run(Kernels k, SampledGemmFixture f, float alpha, float beta, float[] out) {
        var a = k.upload(f.a(), 0, f.a().length);
        var b = k.upload(f.b(), 0, f.b().length);
        var o = k.upload(out, 0, out.length);
        try {
            k.sampledGemm(f.rows(), f.out(), f.in(), alpha, a, f.aOff(), f.lda(), b, f.bOff(), f.ldb(),
                    f.idx(), f.idx().length, beta, o, 0);
            float[] host = new float[out.length];
            k.read(o, 0, host, 0, host.length);
            return host;
        } finally {
            a.close();
            b.close();
            o.close();
        }
    }

    /** |got - expected| <= REL_TOL * |scale| * magnitude + 1e-7 at every index. */
    static void assertNear(double[] expected, double[] magnitude, double scale, float[] got, String what) {
        for (int i = 0; i < expected.length; i++) {
            double tol = REL_TOL * Math.abs(scale) * magnitude[i] + 1e-7;
            if (!(Math.abs(got[i] - expected[i]) <= tol)) {
                fail(what + ": index " + i + " got " + got[i] + ", expected " + expected[i] + " (tol " + tol + ")");
            }
        }
    }
}
