package dev.peft4j.engine;

import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.opencl.OpenClDevices;
import dev.peft4j.kernels.opencl.OpenClException;
import dev.peft4j.kernels.opencl.OpenClKernels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.peft4j.engine.TestBackend.CPU;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The sparse-delta linear on OpenCL against the CPU backend: output, dX and the values' gradient. Skipped without OpenCL. */
class SparseDeltaOpOpenClTest {

    private static Kernels cl;
    private static String unavailable;

    @BeforeAll
    static void open() {
        try {
            if (OpenClDevices.list().isEmpty()) {
                unavailable = "no OpenCL device";
            } else {
                cl = OpenClKernels.create(Integer.getInteger("peft4j.opencl.device", 0));
            }
        } catch (OpenClException e) {
            if (!e.getMessage().startsWith("OpenCL is not available")) {
                throw e;
            }
            unavailable = e.getMessage();
        }
    }

    @AfterAll
    static void close() {
        if (cl != null) {
            cl.close();
        }
    }

    private static float[][] run(Kernels k, boolean inOut, int rows, int out, int in, int[] idx) {
        Tensor x = Tensor.of(k, GradCheck.random(1, rows * in, 1), rows, in).requiresGrad(true);
        Tensor w = inOut ? Tensor.of(k, GradCheck.random(2, out * in, 1), in, out)
                : Tensor.of(k, GradCheck.random(2, out * in, 1), out, in);
        Tensor b = Tensor.of(k, GradCheck.random(3, out, 1), out);
        Tensor v = Tensor.of(k, GradCheck.random(4, idx.length, 1), idx.length).requiresGrad(true);
        Tensor y = SparseDeltaOp.linear(x, w, b, SparseDeltaOp.Pattern.of(out, in, inOut, idx, "cl"), v);
        y.backward(Tensor.of(k, GradCheck.random(5, rows * out, 1), rows, out));
        return new float[][] {y.toArray(), x.grad().toArray(), v.grad().toArray()};
    }

    @Test
    void matchesTheCpuBackend() {
        assumeTrue(cl != null, () -> "OpenCL tests skipped: " + unavailable);
        int rows = 37;
        int out = 48;
        int in = 40;
        int[] idx = new int[out * in / 7];
        for (int j = 0; j < idx.length; j++) {
            idx[j] = 7 * j + j % 3;
        }
        for (boolean inOut : new boolean[] {false, true}) {
            float[][] want = run(CPU, inOut, rows, out, in, idx);
            float[][] got = run(cl, inOut, rows, out, in, idx);
            String[] names = {"y", "dX", "dv"};
            for (int t = 0; t < 3; t++) {
                for (int j = 0; j < want[t].length; j++) {
                    assertEquals(want[t][j], got[t][j], 1e-4 * (1 + Math.abs(want[t][j])),
                            names[t] + "[" + j + "], inOut=" + inOut);
                }
            }
        }
    }
}
