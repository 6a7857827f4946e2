package dev.peft4j.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * CpuGemm against a double-accumulating triple loop and against EJML.
 *
 * <p>Tolerance: each element of C is a sum of k products plus the alpha/beta epilogue; every float
 * rounding adds at most u = 2⁻²⁴ times the magnitude it touches, and the k-slicing adds two roundings per
 * KC slice. So |ours − exact| ≤ (k + 2·⌈k/KC⌉ + 4)·u·(|alpha|·Σ|a||b| + |beta·c|), the classic γ_k
 * bound. An indexing or packing bug moves an element by O(Σ|a||b|/√k), far above it.
 */
class CpuGemmTest {

    private static final double U = Math.ulp(1f) / 2;
    private static final CpuGemm TWO = new CpuGemm(2);
    private static final CpuGemm ONE = new CpuGemm(1);

    @AfterAll
    static void shutdown() {
        TWO.close();
        ONE.close();
    }

    /** A stored rows×cols matrix inside a larger array: offset, leading dimension ≥ cols, NaN padding. */
    private record Stored(float[] data, int off, int ld, int rows, int cols) {

        static Stored random(SplittableRandom rnd, int rows, int cols, int extraLd, int off, float pad) {
            int ld = cols + extraLd;
            float[] d = new float[off + Math.max(0, rows * ld) + 5];
            Arrays.fill(d, pad);
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    d[off + i * ld + j] = (float) (rnd.nextDouble() * 2 - 1);
                }
            }
            return new Stored(d, off, ld, rows, cols);
        }

        float get(int i, int j) {
            return data[off + i * ld + j];
        }
    }

    private static float op(Stored x, boolean trans, int i, int j) {
        return trans ? x.get(j, i) : x.get(i, j);
    }

    /**
     * Runs one case through {@code gemm} and checks every element of C against the double reference
     * within the γ_k bound, and that C's padding is untouched.
     */
    private static void checkCase(CpuGemm g, SplittableRandom rnd, boolean tA, boolean tB, int m, int n, int k,
                                  float alpha, float beta, boolean nanC) {
        int extra = rnd.nextInt(3) == 0 ? 0 : 1 + rnd.nextInt(5);
        Stored a = Stored.random(rnd, tA ? k : m, tA ? m : k, extra, rnd.nextInt(7), Float.NaN);
        Stored b = Stored.random(rnd, tB ? n : k, tB ? k : n, extra, rnd.nextInt(7), Float.NaN);
        Stored c = Stored.random(rnd, m, n, extra, rnd.nextInt(7), 12345f);
        if (nanC) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    c.data[c.off + i * c.ld + j] = Float.NaN;
                }
            }
        }
        float[] before = c.data.clone();
        g.gemm(tA, tB, m, n, k, alpha, a.data, a.off, a.ld, b.data, b.off, b.ld, beta, c.data, c.off, c.ld);
        String where = String.format("tA=%b tB=%b m=%d n=%d k=%d alpha=%s beta=%s ld+%d", tA, tB, m, n, k, alpha, beta, extra);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double exact = 0;
                double mag = 0;
                for (int p = 0; p < k; p++) {
                    double prod = (double) op(a, tA, i, p) * op(b, tB, p, j);
                    exact += prod;
                    mag += Math.abs(prod);
                }
                double old = before[c.off + i * c.ld + j];
                exact *= alpha;
                mag *= Math.abs(alpha);
                if (beta != 0) {
                    exact += beta * old;
                    mag += Math.abs(beta * old);
                }
                double tol = (k + 2.0 * Math.ceilDiv(k, CpuGemm.KC) + 4) * U * mag + Float.MIN_NORMAL;
                float got = c.get(i, j);
                if (!(Math.abs(got - exact) <= tol)) {
                    fail(where + ": C[" + i + "," + j + "] = " + got + ", expected " + exact + " ± " + tol);
                }
            }
        }
        for (int idx = 0; idx < c.data.length; idx++) {
            int rel = idx - c.off;
            boolean inside = rel >= 0 && rel / c.ld < m && rel % c.ld < n;
            if (!inside && Float.floatToRawIntBits(c.data[idx]) != Float.floatToRawIntBits(before[idx])) {
                fail(where + ": wrote outside C at array index " + idx);
            }
        }
    }

    @Test
    void tailSizesAllVariantsMatchDoubleReference() {
        SplittableRandom rnd = new SplittableRandom(1);
        int[] sizes = {1, 2, 7, 12, 13, 16, 31, 33, 47};
        CpuGemm g = ONE;
        for (int trial = 0; trial < 120; trial++) {
            int m = sizes[rnd.nextInt(sizes.length)];
            int n = sizes[rnd.nextInt(sizes.length)];
            int k = sizes[rnd.nextInt(sizes.length)];
            checkCase(g, rnd, (trial & 1) != 0, (trial & 2) != 0, m, n, k, 1f, 0f, false);
        }
    }

    @Test
    void everyEdgeRowCountAndRowSplitsOffTheTileGrid() {
        SplittableRandom rnd = new SplittableRandom(5);
        CpuGemm one = ONE;
        // Edge panels of 1..MR-1 rows (the 12-row kernel, or 4-row calls up to 8 rows), alone and after full tiles.
        for (int m = 1; m <= 2 * GemmMicroKernel.MR + 1; m++) {
            checkCase(one, rnd, (m & 1) != 0, (m & 2) != 0, m, GemmMicroKernel.NR + 3, 37, 1.5f, 0.5f, false);
        }
        // Tall and narrow with op(A) stored transposed: a row split, at 52 rows where MR = 12 (off the tile grid).
        CpuGemm two = TWO;
        checkCase(two, rnd, true, false, 100, 20, 1100, 1f, 0f, false);
        checkCase(two, rnd, true, true, 100, 20, 1100, -0.5f, 2f, false);
    }

    @Test
    void blockEdgesAlphaBetaAndThreads() {
        SplittableRandom rnd = new SplittableRandom(2);
        // Crosses MC (rows), KC (k slices: beta applied once) and NC (columns), with ragged edges.
        int[][] shapes = {
            {CpuGemm.MC + 5, 70, CpuGemm.KC + 3},
            {29, CpuGemm.NC + 17, 40},
            {100, 130, 2 * CpuGemm.KC + 1},
            {211, 97, 300},
        };
        float[][] alphaBeta = {{1f, 0f}, {0.5f, 1f}, {-1.25f, 0.75f}, {2f, -3f}};
        for (int s = 0; s < shapes.length; s++) {
            int[] sh = shapes[s];
            for (int v = 0; v < 4; v++) {
                CpuGemm g = v % 2 == 0 ? TWO : ONE;
                float[] ab = alphaBeta[(s + v) % alphaBeta.length];
                checkCase(g, rnd, (v & 1) != 0, (v & 2) != 0, sh[0], sh[1], sh[2], ab[0], ab[1], false);
            }
        }
    }

    @Test
    void skinnyProductsEitherSideNarrowAlphaBetaAndThreads() {
        SplittableRandom rnd = new SplittableRandom(5);
        int l = GemmMicroKernel.L;
        // One side of C at most a vector (SkinnyGemm): C's rows or, transposed, its columns; 12-row blocks plus
        // a tail; k past KC; split across threads by rows (n narrow) or columns (m narrow).
        int[][] shapes = {{300, l, 700}, {l, 300, 700}, {517, 8, 33}, {5, 211, 2 * CpuGemm.KC + 7},
            {l, l + 1, 9}, {l + 1, l, 9}, {1, 100, 40}, {100, 1, 40}};
        float[][] alphaBeta = {{1f, 0f}, {0.5f, 1f}, {-1.25f, 0.75f}};
        for (int s = 0; s < shapes.length; s++) {
            int[] sh = shapes[s];
            for (int v = 0; v < 4; v++) {
                CpuGemm g = v % 2 == 0 ? TWO : ONE;
                float[] ab = alphaBeta[(s + v) % alphaBeta.length];
                checkCase(g, rnd, (v & 1) != 0, (v & 2) != 0, sh[0], sh[1], sh[2], ab[0], ab[1], ab[1] == 0f);
            }
        }
    }

    @Test
    void betaZeroIgnoresNaNInC() {
        SplittableRandom rnd = new SplittableRandom(3);
        checkCase(ONE, rnd, false, true, 13, 35, 9, 1f, 0f, true);
        checkCase(TWO, rnd, true, false, 150, 140, 120, 0.5f, 0f, true);
    }

    @Test
    void zeroKOrZeroAlphaScalesC() {
        CpuGemm g = TWO;
        float[] c = {1f, Float.NaN, 3f, 4f};
        g.gemm(false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[2], 0, 2, 0f, c, 0, 2);
        assertEquals("[0.0, 0.0, 0.0, 0.0]", Arrays.toString(c));
        float[] c2 = {1f, 2f, 3f, 4f};
        float[] a = {Float.MAX_VALUE, 1f, 1f, 1f};
        g.gemm(false, false, 2, 2, 2, 0f, a, 0, 2, a, 0, 2, 2f, c2, 0, 2);
        assertEquals("[2.0, 4.0, 6.0, 8.0]", Arrays.toString(c2));
    }

    @Test
    void agreesWithEjml() {
        SplittableRandom rnd = new SplittableRandom(4);
        int[][] shapes = {{1, 1, 1}, {7, 33, 5}, {64, 48, 96}, {130, 77, 260}, {45, 200, 33}};
        CpuGemm g = TWO;
        for (int[] sh : shapes) {
            int m = sh[0];
            int n = sh[1];
            int k = sh[2];
            for (int v = 0; v < 4; v++) {
                boolean tA = (v & 1) != 0;
                boolean tB = (v & 2) != 0;
                FMatrixRMaj a = randomMatrix(rnd, tA ? k : m, tA ? m : k);
                FMatrixRMaj b = randomMatrix(rnd, tB ? n : k, tB ? k : n);
                FMatrixRMaj expected = new FMatrixRMaj(m, n);
                if (tA && tB) {
                    CommonOps_FDRM.multTransAB(a, b, expected);
                } else if (tA) {
                    CommonOps_FDRM.multTransA(a, b, expected);
                } else if (tB) {
                    CommonOps_FDRM.multTransB(a, b, expected);
                } else {
                    CommonOps_FDRM.mult(a, b, expected);
                }
                float[] c = new float[m * n];
                g.gemm(tA, tB, m, n, k, 1f, a.data, 0, a.numCols, b.data, 0, b.numCols, 0f, c, 0, n);
                // Both sides round: twice the single-sided bound, on |a|·|b| sums computed here.
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double mag = 0;
                        for (int p = 0; p < k; p++) {
                            float av = tA ? a.get(p, i) : a.get(i, p);
                            float bv = tB ? b.get(j, p) : b.get(p, j);
                            mag += Math.abs((double) av * bv);
                        }
                        double tol = 2 * (k + 2.0 * Math.ceilDiv(k, CpuGemm.KC) + 4) * U * mag;
                        float want = expected.get(i, j);
                        float got = c[i * n + j];
                        if (!(Math.abs(got - want) <= tol)) {
                            fail("vs EJML tA=" + tA + " tB=" + tB + " " + m + "x" + n + "x" + k + ": C[" + i + ","
                                    + j + "] = " + got + ", EJML " + want + " ± " + tol);
                        }
                    }
                }
            }
        }
    }

    @Test
    void batchedStridesIncludingSharedB() {
        SplittableRandom rnd = new SplittableRandom(5);
        // {m, n, k, batch, shareB}: small batches run serially, the larger ones across the pool.
        int[][] cases = {{5, 9, 7, 3, 0}, {17, 40, 33, 4, 1}, {70, 64, 96, 6, 1}, {130, 100, 80, 2, 0}};
        for (int[] cs : cases) {
            for (int v = 0; v < 4; v++) {
                checkBatched(TWO, rnd, (v & 1) != 0, (v & 2) != 0, cs[0], cs[1], cs[2], cs[3], cs[4] == 1);
            }
        }
    }

    private static void checkBatched(CpuGemm g, SplittableRandom rnd, boolean tA, boolean tB, int m, int n, int k,
                                     int batch, boolean shareB) {
        int aSize = m * k;
        int bSize = k * n;
        int cSize = m * n;
        long strideA = aSize + 3;
        long strideB = shareB ? 0 : bSize + 1;
        long strideC = cSize + 2;
        float[] a = randomArray(rnd, 2 + (int) strideA * batch);
        float[] b = randomArray(rnd, 1 + (shareB ? bSize : (int) strideB * batch));
        float[] c = randomArray(rnd, 4 + (int) strideC * batch);
        float[] c0 = c.clone();
        int lda = tA ? m : k;
        int ldb = tB ? k : n;
        g.gemmBatched(tA, tB, m, n, k, 1.5f, a, 2, lda, strideA, b, 1, ldb, strideB, 0.5f, c, 4, n, strideC, batch);
        CpuGemm one = ONE;
        for (int i = 0; i < batch; i++) {
            float[] want = c0.clone();
            int co = 4 + (int) (i * strideC);
            one.gemm(tA, tB, m, n, k, 1.5f, a, (int) (2 + i * strideA), lda, b, (int) (1 + i * strideB), ldb, 0.5f,
                    want, co, n);
            for (int e = 0; e < cSize; e++) {
                // Same kernel, same blocking: the batched result is bit-identical to one call per matrix.
                int idx = co + e;
                assertEquals(want[idx], c[idx], 0f, "batch " + i + " element " + e + " tA=" + tA + " tB=" + tB);
            }
        }
        // The gaps between matrices are untouched.
        for (int i = 0; i < batch; i++) {
            int gap = 4 + (int) (i * strideC) + cSize;
            assertEquals(c0[gap], c[gap], 0f, "gap after batch element " + i);
        }
        // Spot-check the per-matrix reference itself against the triple loop on the first matrix.
        checkCase(one, rnd, tA, tB, m, n, k, 1.5f, 0.5f, false);
    }

    @Test
    void rejectsArraysTooSmallAndBadLeadingDims() {
        CpuGemm g = ONE;
        float[] x = new float[12];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> g.gemm(false, false, 4, 4, 4, 1f, x, 0, 4, x, 0, 4, 0f, new float[16], 0, 4));
        assertTrue(e.getMessage().contains("A (4x4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> g.gemm(false, true, 2, 2, 3, 1f, x, 0, 3, x, 0, 2, 0f, new float[4], 0, 2));
        assertTrue(e.getMessage().contains("ldb=2 < 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> g.gemmBatched(false, false, 1, 1, 1, 1f, x, 0, 1, 1, x, 0, 1, 1, 0f, x, 0, 1, 0, 2));
    }

    private static FMatrixRMaj randomMatrix(SplittableRandom rnd, int rows, int cols) {
        FMatrixRMaj mat = new FMatrixRMaj(rows, cols);
        for (int i = 0; i < mat.data.length; i++) {
            mat.data[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return mat;
    }

    private static float[] randomArray(SplittableRandom rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }
}
