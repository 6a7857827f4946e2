package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.assertClose;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.buf;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The batch loop and argument checks of CpuKernels.gemm (the GEMM itself is CpuGemm's, tested beside it). */
class CpuKernelsGemmTest {

    @Test
    void batchedGemmWithTransposesStridesAndASharedOperand() {
        Random rnd = new Random(20);
        int m = 7;
        int n = 5;
        int k = 3;
        int batch = 3;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int lda = (ta ? m : k) + 2;
                int ldb = (tb ? k : n) + 1;
                int ldc = n + 3;
                int aRows = ta ? k : m;
                int bRows = tb ? n : k;
                long strideA = (long) aRows * lda + 4;
                float[] a = uniform(rnd, (int) (1 + strideA * batch), -1, 1);
                float[] b = uniform(rnd, 2 + bRows * ldb, -1, 1); // one B shared by all (stride 0)
                long strideC = (long) m * ldc;
                float[] c = uniform(rnd, (int) (strideC * batch), -1, 1);
                double[] expected = new double[c.length];
                for (int e = 0; e < c.length; e++) {
                    expected[e] = c[e];
                }
                for (int bt = 0; bt < batch; bt++) {
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double acc = 0;
                            for (int p = 0; p < k; p++) {
                                int ai = 1 + (int) (bt * strideA) + (ta ? p * lda + i : i * lda + p);
                                int bi = 2 + (tb ? j * ldb + p : p * ldb + j);
                                acc += (double) a[ai] * b[bi];
                            }
                            int ci = (int) (bt * strideC) + i * ldc + j;
                            expected[ci] = 1.5 * acc + 0.5 * c[ci];
                        }
                    }
                }
                CpuKernelsTestSupport.DEFAULT.gemm(ta, tb, m, n, k, 1.5f, buf(a), 1, lda, strideA,
                        buf(b), 2, ldb, 0, 0.5f, buf(c), 0, ldc, strideC, batch);
                assertClose(expected, c, 1e-5, 1e-5, "gemm transA=" + ta + " transB=" + tb);
            }
        }
    }

    @Test
    void gemmRejectsAnOperandThatOverrunsItsBuffer() {
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> CpuKernelsTestSupport.DEFAULT.gemm(false, false, 4, 4, 4, 1f, new CpuBuffer(16), 0, 4, 16,
                        new CpuBuffer(16), 0, 4, 0, 0f, new CpuBuffer(32), 0, 4, 16, 3));
        assertTrue(e.getMessage().contains("'a'"), e.getMessage());
    }
}
