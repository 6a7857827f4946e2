package dev.peft4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Buffer;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenCL GEMM against a float64 triple loop. Tolerance: float32 accumulation of k products of values in
 * [-1, 1] drifts by about sqrt(k) * 2^-24 * sum|a||b|; 1e-5 * (1 + sum|a_ip b_pj|) bounds that for k <= 3072
 * with room for the fma-vs-separate rounding differences between devices.
 */
class OpenClGemmTest {

    private static OpenClKernels cl;

    @BeforeAll
    static void setUp() {
        cl = OpenClTestBackend.get();
    }

    @Test
    void allTransposeVariantsOnOddAndTileSizes() {
        int[][] shapes = {{1, 1, 1}, {7, 33, 100}, {33, 7, 257}, {100, 257, 33}, {64, 64, 64}, {130, 70, 45},
            {257, 100, 7}, {128, 192, 96}};
        Random rnd = new Random(1);
        for (int[] s : shapes) {
            for (int v = 0; v < 4; v++) {
                check(v >= 2, v % 2 == 1, s[0], s[1], s[2], 1, rnd);
            }
        }
    }

    @Test
    void alphaBetaOffsetsAndPaddedLeadingDimensions() {
        Random rnd = new Random(2);
        int m = 70, n = 90, k = 65, pad = 3, off = 5;
        for (boolean ta : new boolean[]{false, true}) {
            for (boolean tb : new boolean[]{false, true}) {
                int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                float[] a = random(rnd, off + (ta ? k : m) * lda);
                float[] b = random(rnd, off + (tb ? n : k) * ldb);
                float[] c = random(rnd, off + m * ldc);
                float[] expected = c.clone();
                naive(ta, tb, m, n, k, 0.5f, a, off, lda, b, off, ldb, -1.5f, expected, off, ldc);
                try (Buffer ab = cl.upload(a, 0, a.length); Buffer bb = cl.upload(b, 0, b.length);
                     Buffer cb = cl.upload(c, 0, c.length)) {
                    cl.gemm(ta, tb, m, n, k, 0.5f, ab, off, lda, bb, off, ldb, -1.5f, cb, off, ldc);
                    float[] got = new float[c.length];
                    cl.read(cb, 0, got, 0, got.length);
                    assertClose(expected, got, a, b, k, "ta=" + ta + " tb=" + tb);
                }
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNsInC() {
        int m = 65, n = 66, k = 67;
        float[] a = random(new Random(3), m * k);
        float[] b = random(new Random(4), k * n);
        float[] nan = new float[m * n];
        java.util.Arrays.fill(nan, Float.NaN);
        try (Buffer ab = cl.upload(a, 0, a.length); Buffer bb = cl.upload(b, 0, b.length);
             Buffer cb = cl.upload(nan, 0, nan.length)) {
            cl.gemm(false, false, m, n, k, 1f, ab, 0, k, bb, 0, n, 0f, cb, 0, n);
            float[] got = new float[m * n];
            cl.read(cb, 0, got, 0, got.length);
            for (float v : got) assertTrue(Float.isFinite(v), "beta = 0 must not read C's NaNs");
        }
    }

    @Test
    void batchedWithSharedAndStridedOperands() {
        Random rnd = new Random(5);
        int batch = 3;
        for (int[] s : new int[][]{{33, 17, 9}, {128, 64, 80}}) {
            int m = s[0], n = s[1], k = s[2];
            for (int v = 0; v < 4; v++) {
                boolean ta = v >= 2, tb = v % 2 == 1;
                int lda = ta ? m : k, ldb = tb ? k : n;
                float[] a = random(rnd, batch * m * k);
                float[] b = random(rnd, k * n); // shared across the batch: stride 0
                float[] expected = new float[batch * m * n];
                for (int q = 0; q < batch; q++) {
                    naive(ta, tb, m, n, k, 1f, a, q * m * k, lda, b, 0, ldb, 0f, expected, q * m * n, n);
                }
                try (Buffer ab = cl.upload(a, 0, a.length); Buffer bb = cl.upload(b, 0, b.length);
                     Buffer cb = cl.allocate(expected.length)) {
                    cl.gemm(ta, tb, m, n, k, 1f, ab, 0, lda, (long) m * k, bb, 0, ldb, 0, 0f, cb, 0, n, (long) m * n, batch);
                    float[] got = new float[expected.length];
                    cl.read(cb, 0, got, 0, got.length);
                    assertClose(expected, got, a, b, k, "batched " + m + "x" + n + "x" + k + " v" + v);
                }
            }
        }
    }

    @Test
    void gpt2SizedProduct() {
        // The attention projection's shape with M reduced to keep the float64 reference cheap.
        check(false, true, 128, 2304, 768, 1, new Random(6));
    }

    @Test
    void rejectsOutOfRangeMatricesNamingThem() {
        try (Buffer a = cl.allocate(10); Buffer b = cl.allocate(100); Buffer c = cl.allocate(100)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> cl.gemm(false, false, 4, 4, 4, 1f, a, 0, 4, b, 0, 4, 0f, c, 0, 4));
            assertTrue(e.getMessage().contains("A (4x4"), e.getMessage());
        }
    }

    private static void check(boolean ta, boolean tb, int m, int n, int k, int batch, Random rnd) {
        int lda = ta ? m : k, ldb = tb ? k : n;
        float[] a = random(rnd, m * k);
        float[] b = random(rnd, k * n);
        float[] expected = new float[m * n];
        naive(ta, tb, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, expected, 0, n);
        try (Buffer ab = cl.upload(a, 0, a.length); Buffer bb = cl.upload(b, 0, b.length);
             Buffer cb = cl.allocate(m * n)) {
            cl.gemm(ta, tb, m, n, k, 1f, ab, 0, lda, bb, 0, ldb, 0f, cb, 0, n);
            float[] got = new float[m * n];
            cl.read(cb, 0, got, 0, got.length);
            assertClose(expected, got, a, b, k, (ta ? "T" : "N") + (tb ? "T" : "N") + " " + m + "x" + n + "x" + k);
        }
    }

    static void naive(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    double bv = tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    acc += av * bv;
                }
                int ci = cOff + i * ldc + j;
                c[ci] = (float) (beta == 0 ? alpha * acc : alpha * acc + beta * (double) c[ci]);
            }
        }
    }

    /** Inputs are in [-1, 1], so k bounds sum|a||b| per output; padding elements must match exactly. */
    private static void assertClose(float[] expected, float[] got, float[] a, float[] b, int k, String what) {
        double tol = 1e-5 * (1 + k);
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - got[i]);
            if (!(err <= tol * Math.max(1, Math.abs(expected[i])) || err <= tol)) {
                assertEquals(expected[i], got[i], tol, what + ": element " + i);
            }
        }
    }

    static float[] random(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }
}
