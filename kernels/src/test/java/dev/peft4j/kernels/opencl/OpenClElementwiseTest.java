package dev.peft4j.kernels.opencl;

import static dev.peft4j.kernels.opencl.BackendPair.compare;
import static dev.peft4j.kernels.opencl.BackendPair.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Binary;
import dev.peft4j.kernels.Buffer;
import dev.peft4j.kernels.DropoutHash;
import dev.peft4j.kernels.Unary;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Elementwise and strided ops, OpenCL vs CPU. Tolerance rtol 1e-5: OpenCL C allows 3-5 ulp for exp, log
 * and tanh (spec 7.4) and the Vector API's lanewise versions differ from Math by a few ulp too; atol
 * 1e-6 covers results that cancel to near zero (GELU', tanh' at large |x|).
 */
class OpenClElementwiseTest {

    private static final int[] SIZES = {1, 7, 33, 100, 257};
    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    @Test
    void unaryForwardAndBackward() {
        Random rnd = new Random(11);
        for (Unary op : Unary.values()) {
            boolean positive = op == Unary.LOG || op == Unary.SQRT || op == Unary.RSQRT || op == Unary.RECIP;
            for (int n : SIZES) {
                float[] x = positive ? random(rnd, n + 3, 0.1f, 4f) : random(rnd, n + 3);
                compare(op + " n=" + n, RTOL, ATOL, new float[][]{x, new float[n + 5]},
                        (k, b) -> k.unary(op, b[0], 3, b[1], 5, n));
                compare(op + "' n=" + n, RTOL, ATOL, new float[][]{x, random(rnd, n), random(rnd, n + 1)},
                        (k, b) -> k.unaryBackward(op, b[0], 3, b[1], 0, b[2], 1, n));
            }
        }
    }

    @Test
    void unaryInPlace() {
        float[] x = random(new Random(12), 100);
        compare("tanh in place", RTOL, ATOL, new float[][]{x}, (k, b) -> k.unary(Unary.TANH, b[0], 0, b[0], 0, 100));
    }

    @Test
    void binaryAndFusedArithmetic() {
        Random rnd = new Random(13);
        for (int n : SIZES) {
            for (Binary op : Binary.values()) {
                float[] bv = random(rnd, n + 2);
                if (op == Binary.DIV) for (int i = 0; i < bv.length; i++) bv[i] = Math.copySign(0.25f + Math.abs(bv[i]), bv[i]);
                compare(op + " n=" + n, RTOL, ATOL, new float[][]{random(rnd, n + 1), bv, new float[n]},
                        (k, b) -> k.binary(op, b[0], 1, b[1], 2, b[2], 0, n));
            }
            compare("scale n=" + n, RTOL, ATOL, new float[][]{random(rnd, n), random(rnd, n)},
                    (k, b) -> k.scale(b[0], 0, -1.5f, 0.25f, b[1], 0, n));
            compare("axpy n=" + n, RTOL, ATOL, new float[][]{random(rnd, n), random(rnd, n)},
                    (k, b) -> k.axpy(0.75f, b[0], 0, b[1], 0, n));
            compare("fma n=" + n, RTOL, ATOL, new float[][]{random(rnd, n), random(rnd, n), random(rnd, n), new float[n]},
                    (k, b) -> k.fma(b[0], 0, b[1], 0, b[2], 0, b[3], 0, n));
            compare("scaleByScalar n=" + n, RTOL, ATOL, new float[][]{random(rnd, n), {0f, 3.5f}},
                    (k, b) -> k.scaleByScalar(b[0], 0, b[1], 1, n));
        }
    }

    @Test
    void memoryOpsRespectOffsets() {
        OpenClKernels cl = OpenClTestBackend.get();
        float[] host = random(new Random(14), 300);
        try (Buffer a = cl.upload(host, 10, 257); Buffer b = cl.allocate(300)) {
            cl.copy(a, 7, b, 20, 100);
            cl.fill(b, 150, 33, 2.5f);
            cl.write(host, 0, b, 250, 7);
            float[] got = new float[300];
            cl.read(b, 0, got, 0, 300);
            for (int i = 0; i < 300; i++) {
                float expected = i >= 20 && i < 120 ? host[10 + 7 + i - 20]
                        : i >= 150 && i < 183 ? 2.5f : i >= 250 && i < 257 ? host[i - 250] : 0f;
                assertEquals(expected, got[i], "element " + i);
            }
        }
    }

    @Test
    void stridedCopyPermutesAndBroadcasts() {
        Random rnd = new Random(15);
        float[] src = random(rnd, 2 * 3 * 5 * 7 + 4);
        // permute (2,3,5,7) -> (7,5,3,2) view, then a broadcast axis of stride 0 and a tail of 1
        compare("permute", 0, 0, new float[][]{src, new float[210]},
                (k, b) -> k.stridedCopy(new int[]{7, 5, 3, 2}, b[0], 4, new int[]{1, 7, 35, 105}, b[1], 0));
        compare("broadcast", 0, 0, new float[][]{src, new float[4 * 33 * 7]},
                (k, b) -> k.stridedCopy(new int[]{4, 33, 7}, b[0], 1, new int[]{0, 0, 1}, b[1], 0));
        compare("slice", 0, 0, new float[][]{src, new float[3 * 2 * 1 * 7]},
                (k, b) -> k.stridedCopy(new int[]{3, 2, 1, 7}, b[0], 2, new int[]{35, 105, 999, 1}, b[1], 0));
    }

    @Test
    void broadcastBinaryAndSumTo() {
        Random rnd = new Random(16);
        float[] a = random(rnd, 4 * 33 * 7);
        float[] bias = random(rnd, 7);
        float[] col = random(rnd, 33);
        for (Binary op : new Binary[]{Binary.ADD, Binary.MUL, Binary.SUB}) {
            compare("broadcast " + op, RTOL, ATOL, new float[][]{a, bias, new float[a.length]},
                    (k, b) -> k.broadcastBinary(op, new int[]{4, 33, 7}, b[0], 0, new int[]{231, 7, 1},
                            b[1], 0, new int[]{0, 0, 1}, b[2], 0));
        }
        compare("broadcast middle", RTOL, ATOL, new float[][]{a, col, new float[a.length]},
                (k, b) -> k.broadcastBinary(Binary.DIV, new int[]{4, 33, 7}, b[0], 0, new int[]{231, 7, 1},
                        b[1], 0, new int[]{0, 1, 0}, b[2], 0));
        int[] shape = {4, 33, 7};
        // sums of up to 132 terms of size 2: reassociation error below 1e-5 relative to the terms' scale
        for (int[] dst : new int[][]{{1, 1, 7}, {4, 1, 7}, {1, 33, 1}, {4, 33, 7}, {1, 1, 1}, {4, 1, 1}}) {
            int len = dst[0] * dst[1] * dst[2];
            for (boolean acc : new boolean[]{false, true}) {
                compare("sumTo " + java.util.Arrays.toString(dst) + " acc=" + acc, 1e-5, 2e-5,
                        new float[][]{a, random(rnd, len + 1)},
                        (k, b) -> k.sumTo(shape, b[0], 0, dst, b[1], 1, acc));
            }
        }
    }

    @Test
    void dropoutMaskMatchesTheHashBitForBit() {
        OpenClKernels cl = OpenClTestBackend.get();
        for (float p : new float[]{0f, 0.1f, 0.5f, 1f}) {
            int n = 1000;
            try (Buffer m = cl.allocate(n + 3)) {
                cl.dropoutMask(m, 3, n, p, 1234567L);
                float[] got = new float[n];
                cl.read(m, 3, got, 0, n);
                float[] expected = new float[n];
                for (int i = 0; i < n; i++) expected[i] = DropoutHash.maskValue(1234567L, i, p);
                assertArrayEquals(expected, got, "p=" + p);
            }
        }
        compare("dropout vs cpu", 0, 0, new float[][]{new float[257]}, (k, b) -> k.dropoutMask(b[0], 0, 257, 0.3f, -5L));
        float[] mask = BackendPair.run(cl, new float[][]{new float[10000]}, (k, b) -> k.dropoutMask(b[0], 0, 10000, 0.3f, 9L))[0];
        long kept = 0;
        for (float v : mask) if (v != 0) kept++;
        assertTrue(Math.abs(kept / 10000.0 - 0.7) < 0.03, "kept fraction " + kept / 10000.0);
    }
}
