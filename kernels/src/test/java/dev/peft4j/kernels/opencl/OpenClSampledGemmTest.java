package dev.peft4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.cpu.SampledGemmFixture;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The OpenCL sampled GEMM against the CPU one and the float64 reference, and its index-upload cache. */
class OpenClSampledGemmTest {

    private static final int[][] SHAPES = {{1, 1, 1}, {7, 5, 33}, {64, 17, 40}, {130, 9, 300}};
    private static final double[] DENSITIES = {0.0, 0.05, 0.5, 1.0};

    @Test
    void agreesWithCpuAndTheDenseReference() {
        OpenClTestBackend.get(); // skips with the reason when no OpenCL platform exists
        Random rnd = new Random(5);
        for (int[] s : SHAPES) {
            for (double density : DENSITIES) {
                SampledGemmFixture f = SampledGemmFixture.random(rnd, s[0], s[1], s[2], density);
                float[] prior = BackendPair.random(rnd, f.idx().length);
                String what = "shape " + java.util.Arrays.toString(s) + " density " + density;
                float[][] both = BackendPair.compare(what, 1e-5, 1e-6, new float[][]{f.a(), f.b(), prior},
                        (k, b) -> k.sampledGemm(f.rows(), f.out(), f.in(), 0.75f, b[0], f.aOff(), f.lda(), b[1],
                                f.bOff(), f.ldb(), f.idx(), f.idx().length, 1f, b[2], 0));
                double[] expected = f.reference();
                for (int i = 0; i < expected.length; i++) expected[i] = 0.75 * expected[i] + prior[i];
                float[] onDevice = both[2];
                for (int i = 0; i < expected.length; i++) {
                    double tol = 1e-5 * f.magnitude()[i] + 1e-6;
                    if (Math.abs(onDevice[i] - expected[i]) > tol) {
                        throw new AssertionError(what + ": index " + i + " opencl " + onDevice[i] + " vs reference "
                                + expected[i]);
                    }
                }
            }
        }
    }

    @Test
    void aCpuDeviceReportsPoclsCrossoverAndAGpuTheCpuBackends() {
        OpenClKernels cl = OpenClTestBackend.get();
        double expected = "CPU".equals(cl.device().type()) ? OpenClKernels.CPU_DEVICE_SAMPLED_GEMM_MAX_DENSITY
                : OpenClKernels.OTHER_DEVICE_SAMPLED_GEMM_MAX_DENSITY;
        assertEquals(expected, cl.sampledGemmMaxDensity());
    }

    @Test
    void uploadsAReusedIndexListOnceAndAnEditedOneAgain() {
        OpenClKernels cl = OpenClTestBackend.get();
        SampledGemmFixture f = SampledGemmFixture.random(new Random(9), 8, 6, 10, 0.5);
        int[] idx = {2, 5, 9, 14, 40, 59};
        try (Buffer a = cl.upload(f.a(), 0, f.a().length); Buffer b = cl.upload(f.b(), 0, f.b().length);
             Buffer out = cl.allocate(idx.length)) {
            Runnable call = () -> cl.sampledGemm(f.rows(), f.out(), f.in(), 1f, a, f.aOff(), f.lda(), b, f.bOff(),
                    f.ldb(), idx, idx.length, 0f, out, 0);
            call.run();
            OpenClTransfers before = cl.transfers();
            call.run();
            call.run();
            assertEquals(0, cl.transfers().since(before).uploads(), "a reused index list must not be uploaded again");

            idx[0] = 1; // edited in place, still sorted: the cache must notice
            OpenClTransfers edited = cl.transfers();
            call.run();
            assertEquals(1, cl.transfers().since(edited).uploads(), "an edited index list is uploaded again");
            float[] got = new float[idx.length];
            cl.read(out, 0, got, 0, got.length);
            SampledGemmFixture g = new SampledGemmFixture(f.rows(), f.out(), f.in(), f.lda(), f.ldb(), f.aOff(),
                    f.bOff(), f.a(), f.b(), idx);
            double[] expected = g.reference();
            double[] magnitude = g.magnitude();
            for (int i = 0; i < idx.length; i++) {
                assertEquals(expected[i], got[i], 1e-5 * magnitude[i] + 1e-6, "index " + idx[i] + " after the edit");
            }
        }
    }
}
