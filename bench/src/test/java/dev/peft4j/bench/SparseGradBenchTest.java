package dev.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.cpu.CpuKernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code bench sparse}: what it compares computes the same entries, and how it reads the crossover. */
class SparseGradBenchTest {

    @Test
    void sampledAndDenseAgreeOnTheSelectedEntries() {
        try (CpuKernels k = new CpuKernels();
             SparseGradCase c = new SparseGradCase(k, 40, 24, 36, 0.05, 3)) {
            assertEquals(Math.round(0.05 * 24 * 36), c.nnz);
            assertEquals(0.05, c.density(), 0.002);
            // Sums of 40 products of unit normals: agreement to float rounding, not to a loose tolerance.
            assertTrue(c.maxDifference() < 1e-4, "max |sampled - dense| " + c.maxDifference());
        }
    }

    @Test
    void selectionSampleIsSortedDistinctAndInRange() {
        int[] idx = SparseGradCase.sortedSample(new Random(5), 1000, 137);
        assertEquals(137, idx.length);
        for (int i = 0; i < idx.length; i++) {
            assertTrue(idx[i] >= 0 && idx[i] < 1000, "index " + idx[i]);
            assertTrue(i == 0 || idx[i] > idx[i - 1], "not ascending at " + i);
        }
        assertEquals(1000, SparseGradCase.sortedSample(new Random(5), 1000, 1000)[999] + 1); // full density: all
    }

    @Test
    void crossoverIsInterpolatedInLogDensity() {
        // dense/sampled 4 -> 2 -> 0.5: crosses 1 halfway (in log ratio) between 0.1 and 1, i.e. at 10^-0.5.
        String s = SparseGradBench.crossover(new double[]{0.01, 0.1, 1}, new double[]{4, 2, 0.5});
        assertTrue(s.startsWith(String.format("crossover at density %.4f", Math.pow(10, -0.5))), s);
        assertTrue(SparseGradBench.crossover(new double[]{0.01, 1}, new double[]{3, 1.5}).startsWith("sampled faster"));
        assertTrue(SparseGradBench.crossover(new double[]{0.01, 1}, new double[]{0.9, 0.1}).startsWith("dense GEMM"));
    }

    @Test
    void densitiesOptionParsesAscendingNumbersAndNamesABadOne() {
        assertEquals(3, SparseGradBench.parseDensities("0.001, 0.01,0.1").length);
        assertEquals(0.01, SparseGradBench.parseDensities("0.001, 0.01,0.1")[1]);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> SparseGradBench.parseDensities("0.01,1%"));
        assertTrue(bad.getMessage().contains("--densities") && bad.getMessage().contains("1%"), bad.getMessage());
        IllegalArgumentException order = assertThrows(IllegalArgumentException.class,
                () -> SparseGradBench.parseDensities("0.1,0.01"));
        assertTrue(order.getMessage().contains("ascend"), order.getMessage());
    }

    @Test
    void densityOutsideZeroToOneIsRefused() {
        try (CpuKernels k = new CpuKernels()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new SparseGradCase(k, 4, 4, 4, 1.5, 1));
            assertTrue(e.getMessage().contains("density"), e.getMessage());
        }
    }
}
