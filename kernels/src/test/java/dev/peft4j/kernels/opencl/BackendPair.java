package dev.peft4j.kernels.opencl;

import static org.junit.jupiter.api.Assertions.fail;

import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.Kernels;
import dev.peft4j.kernels.cpu.CpuKernels;
import java.util.Random;

/**
 * Runs one op on the CPU backend and on OpenCL from the same host inputs and compares every operand
 * afterwards (inputs too: an op must not write where it should only read).
 */
final class BackendPair {

    /** An op applied to buffers holding the given host arrays, in order. */
    interface Op {
        void apply(Kernels k, Buffer[] b);
    }

    static final CpuKernels CPU = new CpuKernels();

    private BackendPair() {
    }

    /** The arrays after {@code op} ran on {@code k}. */
    static float[][] run(Kernels k, float[][] data, Op op) {
        Buffer[] b = new Buffer[data.length];
        try {
            for (int i = 0; i < data.length; i++) b[i] = k.upload(data[i], 0, data[i].length);
            op.apply(k, b);
            float[][] out = new float[data.length][];
            for (int i = 0; i < data.length; i++) {
                out[i] = new float[data[i].length];
                k.read(b[i], 0, out[i], 0, out[i].length);
            }
            return out;
        } finally {
            for (Buffer x : b) if (x != null) x.close();
        }
    }

    /** Runs on both backends and asserts |cpu - cl| <= atol + rtol * |cpu| everywhere. */
    static float[][] compare(String what, double rtol, double atol, float[][] data, Op op) {
        float[][] cpu = run(CPU, data, op);
        float[][] cl = run(OpenClTestBackend.get(), data, op);
        for (int i = 0; i < cpu.length; i++) assertClose(what + ", operand " + i, rtol, atol, cpu[i], cl[i]);
        return cl;
    }

    static void assertClose(String what, double rtol, double atol, float[] expected, float[] got) {
        for (int j = 0; j < expected.length; j++) {
            float e = expected[j], g = got[j];
            if (Float.isNaN(e) && Float.isNaN(g) || e == g) continue;
            if (!(Math.abs(e - g) <= atol + rtol * Math.abs(e))) {
                fail(what + ": element " + j + " of " + expected.length + ": cpu " + e + " vs opencl " + g
                        + " (rtol " + rtol + ", atol " + atol + ")");
            }
        }
    }

    static float[] random(Random rnd, int n, float lo, float hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = lo + rnd.nextFloat() * (hi - lo);
        return x;
    }

    static float[] random(Random rnd, int n) {
        return random(rnd, n, -2f, 2f);
    }
}
