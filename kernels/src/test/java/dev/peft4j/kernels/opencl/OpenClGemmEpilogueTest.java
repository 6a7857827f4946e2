package dev.peft4j.kernels.opencl;

import static dev.peft4j.kernels.GemmEpilogueCheck.check;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.GemmEpilogue;
import dev.peft4j.kernels.GemmEpilogueCheck;
import dev.peft4j.kernels.GemmEpilogueCheck.Parts;
import dev.peft4j.kernels.Unary;
import dev.peft4j.kernels.cpu.CpuKernels;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL GEMM epilogue (fused into the tiled and direct kernels' store) against the unfused composition
 * on the same device (within 1e-5 relative: the low-rank sum runs in another order there) and float64;
 * sizes hit the tiled interior plus both edge strips, and the direct kernel alone. Then against the CPU.
 */
class OpenClGemmEpilogueTest {

    private static final double TOL = 1e-5;
    private static OpenClKernels cl;

    @BeforeAll
    static void setUp() {
        cl = OpenClTestBackend.get();
    }

    @Test
    void eachPartAloneAndAllTogetherOnTiledAndDirectPaths() {
        Parts[] parts = {Parts.lowRank(8), GemmEpilogueCheck.BIAS, GemmEpilogueCheck.SCALE, GemmEpilogueCheck.SHIFT,
            GemmEpilogueCheck.IA3, Parts.activation(Unary.GELU_TANH), Parts.activation(Unary.RELU),
            Parts.activation(Unary.SILU), Parts.ALL};
        long seed = 1;
        for (Parts p : parts) {
            check(cl, false, true, 130, 70, 65, 0.75f, 1f, p, 2, TOL, seed++); // tiled + right and bottom strips
            check(cl, false, false, 13, 33, 37, 1f, 0f, p, 0, TOL, seed++);   // direct only
        }
    }

    @Test
    void transposesAndK() {
        long seed = 50;
        for (int k : new int[]{1, 37, 300}) {
            for (int v = 0; v < 4; v++) {
                check(cl, v >= 2, v % 2 == 1, 70, 100, k, 0.75f, v % 2 == 0 ? 1f : 0f, Parts.ALL, 1, TOL, seed++);
            }
        }
        check(cl, false, true, 128, 128, 600, 1f, 0f, new Parts(16, true, false, false, Unary.GELU_TANH), 0, TOL, 60);
    }

    @Test
    void matchesTheCpuBackend() {
        int m = 96, n = 80, k = 70, r = 4;
        Random rnd = new Random(3);
        float[] a = rand(rnd, m * k), b = rand(rnd, n * k), u = rand(rnd, m * r), v = rand(rnd, n * r), bias = rand(rnd, n);
        float[][] results = new float[2][];
        try (CpuKernels cpu = new CpuKernels()) {
            int slot = 0;
            for (dev.peft4j.kernels.Kernels kx : new dev.peft4j.kernels.Kernels[]{cpu, cl}) {
                try (Buffer ab = kx.upload(a, 0, a.length); Buffer bb = kx.upload(b, 0, b.length);
                     Buffer ub = kx.upload(u, 0, u.length); Buffer vb = kx.upload(v, 0, v.length);
                     Buffer biasB = kx.upload(bias, 0, n); Buffer cb = kx.allocate(m * n); Buffer out = kx.allocate(m * n)) {
                    kx.gemm(false, true, m, n, k, 1f, ab, 0, k, bb, 0, k, 0f, cb, 0, n, GemmEpilogue.builder()
                            .lowRank(2f, r, ub, 0, r, vb, 0, r).bias(biasB, 0).activation(Unary.GELU_TANH, out, 0, n).build());
                    results[slot] = new float[m * n];
                    kx.read(out, 0, results[slot++], 0, m * n);
                }
            }
        }
        assertArrayEquals(results[0], results[1], 1e-4f);
    }

    @Test
    void badPartsAreNamed() {
        try (Buffer a = cl.allocate(6 * 8); Buffer b = cl.allocate(8 * 10); Buffer c = cl.allocate(6 * 10);
             Buffer small = cl.allocate(9)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                    cl.gemm(false, false, 6, 10, 8, 1f, a, 0, 8, b, 0, 10, 0f, c, 0, 10,
                            GemmEpilogue.builder().colShift(small, 0).build()));
            assertTrue(e.getMessage().contains("epilogue colShift") && e.getMessage().contains("n = 10"), e.getMessage());
            try (CpuKernels cpu = new CpuKernels(); Buffer foreign = cpu.allocate(10)) {
                e = assertThrows(IllegalArgumentException.class, () ->
                        cl.gemm(false, false, 6, 10, 8, 1f, a, 0, 8, b, 0, 10, 0f, c, 0, 10,
                                GemmEpilogue.builder().bias(foreign, 0).build()));
                assertTrue(e.getMessage().contains("epilogue bias"), e.getMessage());
            }
        }
    }

    private static float[] rand(Random rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2 - 1;
        return x;
    }
}
