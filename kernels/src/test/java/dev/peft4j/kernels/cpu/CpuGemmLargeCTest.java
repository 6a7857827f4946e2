package dev.peft4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Products whose C outgrows a core's L2 take k in long slices ({@link CpuGemm#KC_LARGE_C}): checked on a
 * C just over {@link CpuGemm#LARGE_C} floats against float64 dot products at sampled entries, with beta applied
 * once, for float32 and bf16 B, one long slice (k = 600) and a long slice plus a short one (k = 1000).
 */
class CpuGemmLargeCTest {

    private static final CpuGemm TWO = new CpuGemm(2);
    private static final int SIDE = (int) Math.ceil(Math.sqrt(CpuGemm.LARGE_C)) + 3;

    @AfterAll
    static void shutDown() {
        TWO.close();
    }

    @Test
    void longSlicesMatchFloat64AtSampledEntries() {
        for (int k : new int[] {600, 1000}) {
            for (int variant = 0; variant < 2; variant++) {
                check(k, variant == 1, false);
            }
        }
        check(1000, true, true);
    }

    private static void check(int k, boolean transB, boolean bf16) {
        int m = SIDE;
        int n = SIDE;
        assertTrue((long) m * n >= CpuGemm.LARGE_C);
        SplittableRandom rnd = new SplittableRandom(k + (transB ? 1 : 0));
        float[] a = random(rnd, m * k);
        float[] b = random(rnd, k * n);
        short[] bh = null;
        if (bf16) {
            bh = new short[b.length];
            for (int i = 0; i < b.length; i++) {
                bh[i] = Bf16.round(b[i]);
                b[i] = Bf16.widen(bh[i]); // the reference multiplies by exactly the stored values
            }
        }
        float[] c = random(rnd, m * n);
        float[] before = c.clone();
        float alpha = 0.5f;
        float beta = -2f;
        int ldb = transB ? k : n;
        CpuGemm gemm = TWO;
        if (bf16) {
            gemm.gemmBatched(false, transB, m, n, k, alpha, a, 0, k, 0, bh, 0, ldb, 0, beta, c, 0, n, 0, 1);
        } else {
            gemm.gemm(false, transB, m, n, k, alpha, a, 0, k, b, 0, ldb, beta, c, 0, n);
        }
        for (int s = 0; s < 3000; s++) {
            int i = rnd.nextInt(m);
            int j = rnd.nextInt(n);
            double dot = 0;
            double abs = 0;
            for (int p = 0; p < k; p++) {
                double bv = transB ? b[j * k + p] : b[p * n + j];
                dot += (double) a[i * k + p] * bv;
                abs += Math.abs((double) a[i * k + p] * bv);
            }
            double expected = alpha * dot + beta * (double) before[i * n + j];
            double tol = 4 * k * Math.ulp(1f) * (Math.abs(alpha) * abs + Math.abs(beta * before[i * n + j]));
            assertEquals(expected, c[i * n + j], tol, "k " + k + (transB ? " NT" : " NN") + (bf16 ? " bf16" : "")
                    + " at (" + i + ", " + j + ")");
        }
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }
}
