package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.GemmEpilogueCheck.check;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.GemmEpilogue;
import dev.peft4j.kernels.GemmEpilogueCheck;
import dev.peft4j.kernels.GemmEpilogueCheck.Parts;
import dev.peft4j.kernels.Unary;
import org.junit.jupiter.api.Test;

/**
 * The CPU GEMM epilogue against the unfused composition (within 1e-6 relative) and float64. Sizes cover
 * tile tails (m, n not multiples of 12 / 32), several k slices (k = 300, 600 with KC = 256), the forked
 * path (m·n·k above CpuGemm.SERIAL_FLOPS) and k = 0 / alpha = 0, where no micro-kernel runs.
 */
class GemmEpilogueCpuTest {

    private static final CpuKernels CPU = new CpuKernels();
    private static final double TOL = 1e-6;

    @Test
    void eachPartAloneAndAllTogether() {
        Parts[] parts = {Parts.lowRank(8), Parts.lowRank(3), GemmEpilogueCheck.BIAS, GemmEpilogueCheck.SCALE,
            GemmEpilogueCheck.SHIFT, GemmEpilogueCheck.IA3, Parts.activation(Unary.GELU_TANH),
            Parts.activation(Unary.RELU), Parts.activation(Unary.SILU), Parts.ALL,
            new Parts(16, true, false, false, Unary.SILU)};
        long seed = 1;
        for (Parts p : parts) {
            check(CPU, false, true, 37, 45, 37, 1f, 0f, p, 0, TOL, seed++);
            check(CPU, false, true, 25, 70, 300, 0.75f, 1f, p, 3, TOL, seed++);
        }
    }

    @Test
    void transposesTailsAndKSlices() {
        int[][] mn = {{1, 1}, {12, 32}, {13, 33}, {50, 95}};
        int[] ks = {1, 37, 300, 600};
        long seed = 100;
        for (int[] s : mn) {
            for (int k : ks) {
                for (int v = 0; v < 4; v++) {
                    check(CPU, v >= 2, v % 2 == 1, s[0], s[1], k, 0.75f, v % 2 == 0 ? 1f : 0f, Parts.ALL, 2, TOL, seed++);
                }
            }
        }
    }

    @Test
    void largeProblemRunsOnThePoolWithEveryPart() {
        // 150·200·600 multiply-adds is past SERIAL_FLOPS, so regions of C are split across threads.
        assertTrue(150L * 200 * 600 >= CpuGemm.SERIAL_FLOPS);
        check(CPU, false, true, 150, 200, 600, 1f, 0f, new Parts(32, true, true, true, Unary.GELU_TANH), 1, TOL, 7);
        check(CPU, true, false, 150, 200, 600, -0.5f, 1f, Parts.ALL, 0, TOL, 8);
    }

    @Test
    void kZeroAndAlphaZeroStillApplyTheEpilogue() {
        check(CPU, false, false, 20, 40, 0, 1f, 1f, Parts.ALL, 1, TOL, 9);
        check(CPU, false, false, 20, 40, 0, 1f, 0f, Parts.ALL, 2, TOL, 10); // pad keeps lda >= 1
        check(CPU, false, true, 20, 40, 16, 0f, 1f, Parts.ALL, 0, TOL, 11);
    }

    @Test
    void noneIsThePlainGemm() {
        float[] a = {1, 2, 3, 4};
        float[] b = {5, 6, 7, 8};
        try (Buffer ab = CPU.upload(a, 0, 4); Buffer bb = CPU.upload(b, 0, 4); Buffer c1 = CPU.allocate(4);
             Buffer c2 = CPU.allocate(4)) {
            CPU.gemm(false, false, 2, 2, 2, 1f, ab, 0, 2, bb, 0, 2, 0f, c1, 0, 2, GemmEpilogue.NONE);
            CPU.gemm(false, false, 2, 2, 2, 1f, ab, 0, 2, bb, 0, 2, 0f, c2, 0, 2);
            float[] x = new float[4];
            float[] y = new float[4];
            CPU.read(c1, 0, x, 0, 4);
            CPU.read(c2, 0, y, 0, 4);
            assertEquals(java.util.Arrays.toString(y), java.util.Arrays.toString(x));
            assertEquals(19f, x[0]);
        }
        assertTrue(GemmEpilogue.none().isNone());
        assertEquals("GemmEpilogue.NONE", GemmEpilogue.NONE.toString());
    }

    @Test
    void badPartsAreNamedWithTheirSizes() {
        try (Buffer a = CPU.allocate(6 * 8); Buffer b = CPU.allocate(8 * 10); Buffer c = CPU.allocate(6 * 10);
             Buffer small = CPU.allocate(9); Buffer u = CPU.allocate(6 * 4); Buffer v = CPU.allocate(10 * 4)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                    CPU.gemm(false, false, 6, 10, 8, 1f, a, 0, 8, b, 0, 10, 0f, c, 0, 10,
                            GemmEpilogue.builder().bias(small, 0).build()));
            assertTrue(e.getMessage().contains("epilogue bias") && e.getMessage().contains("n = 10")
                    && e.getMessage().contains("holds 9"), e.getMessage());

            e = assertThrows(IllegalArgumentException.class, () ->
                    CPU.gemm(false, false, 6, 10, 8, 1f, a, 0, 8, b, 0, 10, 0f, c, 0, 10,
                            GemmEpilogue.builder().lowRank(1f, 4, u, 1, 4, v, 0, 4).build()));
            assertTrue(e.getMessage().contains("epilogue lowRank U") && e.getMessage().contains("6x4")
                    && e.getMessage().contains("needs 25"), e.getMessage());

            e = assertThrows(IllegalArgumentException.class, () ->
                    CPU.gemm(false, false, 6, 10, 8, 1f, a, 0, 8, b, 0, 10, 0f, c, 0, 10,
                            GemmEpilogue.builder().lowRank(1f, 4, u, 0, 4, small, 0, 4).build()));
            assertTrue(e.getMessage().contains("epilogue lowRank V") && e.getMessage().contains("10x4"), e.getMessage());

            e = assertThrows(IllegalArgumentException.class, () ->
                    CPU.gemm(false, false, 6, 10, 8, 1f, a, 0, 8, b, 0, 10, 0f, c, 0, 10,
                            GemmEpilogue.builder().activation(Unary.GELU_TANH, small, 0, 8).build()));
            assertTrue(e.getMessage().contains("epilogue activation out") && e.getMessage().contains("ldOut = 8"),
                    e.getMessage());

            e = assertThrows(IllegalArgumentException.class, () ->
                    CPU.gemm(false, false, 6, 10, 8, 1f, a, 0, 8, b, 0, 10, 0f, c, 0, 10,
                            GemmEpilogue.builder().colScale(small, 0).build()));
            assertTrue(e.getMessage().contains("epilogue colScale"), e.getMessage());

            e = assertThrows(IllegalArgumentException.class, () -> GemmEpilogue.builder().lowRank(1f, 0, u, 0, 4, v, 0, 4));
            assertTrue(e.getMessage().contains("rank must be > 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> GemmEpilogue.builder().lowRank(1f, 4, u, 0, 3, v, 0, 4));
            assertTrue(e.getMessage().contains("ldu = 3"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> GemmEpilogue.builder().bias(null, 0));
            assertTrue(e.getMessage().contains("epilogue bias buffer is null"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> GemmEpilogue.builder().colShift(v, -1));
            assertTrue(e.getMessage().contains("colShift offset -1"), e.getMessage());
            IllegalStateException twice = assertThrows(IllegalStateException.class,
                    () -> GemmEpilogue.builder().bias(v, 0).bias(v, 0));
            assertTrue(twice.getMessage().contains("bias is already set"), twice.getMessage());
            e = assertThrows(IllegalArgumentException.class, () ->
                    CPU.gemm(false, false, 6, 10, 8, 1f, a, 0, 8, b, 0, 10, 0f, c, 0, 10, null));
            assertTrue(e.getMessage().contains("epilogue is null"), e.getMessage());
        }
    }
}
