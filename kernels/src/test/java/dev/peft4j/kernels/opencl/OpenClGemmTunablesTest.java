package dev.peft4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.peft4j.kernels.Buffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The GEMM kernels must be right for every tunable set, not only the device default: the GPU defaults
 * (local staging of A and B, vector widths 2) and a scalar, unstaged set are built and checked here.
 */
class OpenClGemmTunablesTest {

    @Test
    void alternativeTunablesComputeTheSameProducts() {
        OpenClTestBackend.get();
        GemmTunables[] sets = {GemmTunables.GPU,
            GemmTunables.GPU.with("MWG=32,NWG=64,KWG=8,MDIMC=8,NDIMC=8,VWM=4,VWN=4,SA=0,SB=0,WGD=8,MDIMCD=4,NDIMCD=8")};
        Random rnd = new Random(51);
        for (GemmTunables t : sets) {
            try (OpenClKernels cl = OpenClKernels.create(Integer.getInteger("peft4j.opencl.device", 0), t)) {
                for (int[] s : new int[][]{{64, 64, 16}, {130, 70, 45}, {96, 200, 33}}) {
                    for (int v = 0; v < 4; v++) {
                        boolean ta = v >= 2, tb = v % 2 == 1;
                        int m = s[0], n = s[1], k = s[2];
                        float[] a = OpenClGemmTest.random(rnd, m * k);
                        float[] b = OpenClGemmTest.random(rnd, k * n);
                        float[] c = OpenClGemmTest.random(rnd, m * n);
                        float[] expected = c.clone();
                        OpenClGemmTest.naive(ta, tb, m, n, k, 1.25f, a, 0, ta ? m : k, b, 0, tb ? k : n, 0.5f, expected, 0, n);
                        try (Buffer ab = cl.upload(a, 0, a.length); Buffer bb = cl.upload(b, 0, b.length);
                             Buffer cb = cl.upload(c, 0, c.length)) {
                            cl.gemm(ta, tb, m, n, k, 1.25f, ab, 0, ta ? m : k, bb, 0, tb ? k : n, 0.5f, cb, 0, n);
                            float[] got = new float[m * n];
                            cl.read(cb, 0, got, 0, got.length);
                            BackendPair.assertClose(t + " v" + v + " " + m + "x" + n + "x" + k, 1e-5, 1e-5 * k, expected, got);
                        }
                    }
                }
            }
        }
    }

    @Test
    void inconsistentTunablesAreRejectedWithTheRule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmTunables.GPU.with("MDIMC=24"));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("MWG % MDIMC"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GemmTunables.GPU.with("FOO=1"));
    }
}
