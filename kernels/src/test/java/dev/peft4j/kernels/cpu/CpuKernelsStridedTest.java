package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.assertClose;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.buf;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.kernels.Binary;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class CpuKernelsStridedTest {

    static Stream<CpuKernels> backends() {
        return CpuKernelsTestSupport.backends();
    }

    /** Row-major index tuples of a shape, in order. */
    static int[][] tuples(int[] shape) {
        int count = 1;
        for (int s : shape) {
            count *= s;
        }
        int[][] out = new int[count][];
        int[] idx = new int[shape.length];
        for (int t = 0; t < count; t++) {
            out[t] = idx.clone();
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out;
    }

    static int offset(int[] idx, int[] strides) {
        int o = 0;
        for (int d = 0; d < idx.length; d++) {
            o += idx[d] * strides[d];
        }
        return o;
    }

    /** (shape, source strides) pairs of rank 0 to 4: contiguous, strided, transposed, broadcast (stride 0). */
    static Object[][] views() {
        return new Object[][] {
            {new int[] {}, new int[] {}},
            {new int[] {33}, new int[] {2}},
            {new int[] {17}, new int[] {0}},
            {new int[] {7, 33}, new int[] {1, 7}},
            {new int[] {7, 33}, new int[] {33, 1}},
            {new int[] {5, 1, 17}, new int[] {17, 99, 1}},
            {new int[] {3, 5, 7}, new int[] {1, 3, 15}},
            {new int[] {2, 3, 5, 7}, new int[] {0, 35, 7, 1}},
            {new int[] {4, 3, 5, 100}, new int[] {100, 0, 400, 1}},
            {new int[] {3, 4, 5, 6}, new int[] {30, 0, 6, 0}},
            {new int[] {2, 0, 5}, new int[] {0, 5, 1}},
        };
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void stridedCopyGathersEveryIndexTuple(CpuKernels k) {
        Random rnd = new Random(5);
        for (Object[] view : views()) {
            int[] shape = (int[]) view[0];
            int[] strides = (int[]) view[1];
            float[] src = uniform(rnd, 2500, -1, 1);
            int[][] idx = tuples(shape);
            float[] dst = new float[idx.length + 4];
            k.stridedCopy(shape, buf(src), 3, strides, buf(dst), 4);
            for (int t = 0; t < idx.length; t++) {
                assertEquals(src[3 + offset(idx[t], strides)], dst[4 + t],
                        "shape " + Arrays.toString(shape) + " tuple " + Arrays.toString(idx[t]));
            }
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void broadcastBinaryAppliesTheOpAtEveryStridedPair(CpuKernels k) {
        Random rnd = new Random(6);
        int[][][] cases = {
            // shape, a strides, b strides
            {{100}, {1}, {0}},
            {{100}, {0}, {1}},
            {{7, 33}, {33, 1}, {0, 1}},
            {{7, 33}, {33, 1}, {1, 0}},
            {{7, 33}, {1, 7}, {33, 1}},
            {{3, 5, 17}, {85, 17, 1}, {0, 17, 1}},
            {{2, 3, 5, 7}, {105, 35, 7, 1}, {0, 7, 0, 1}},
            {{2, 3, 5, 7}, {0, 0, 0, 0}, {105, 35, 7, 1}},
            {{4, 1, 5, 40}, {200, 999, 40, 1}, {40, 0, 0, 1}},
        };
        for (Binary op : Binary.values()) {
            for (int[][] c : cases) {
                int[] shape = c[0];
                float[] a = uniform(rnd, 1000, -2, 2);
                float[] b = uniform(rnd, 1000, 0.5, 2);
                int[][] idx = tuples(shape);
                float[] out = new float[idx.length];
                k.broadcastBinary(op, shape, buf(a), 1, c[1], buf(b), 2, c[2], buf(out), 0);
                for (int t = 0; t < idx.length; t++) {
                    float expected = CpuKernelsElementwiseTest.scalar(op, a[1 + offset(idx[t], c[1])], b[2 + offset(idx[t], c[2])]);
                    assertEquals(expected, out[t], op + " shape " + Arrays.toString(shape) + " at " + Arrays.toString(idx[t]));
                }
            }
        }
    }

    /** (src shape, dst shape) pairs of rank 1 to 4, including a wide row crossing the column blocking. */
    static int[][][] reductions() {
        return new int[][][] {
            {{100}, {1}},
            {{100}, {100}},
            {{33, 17}, {1, 17}},
            {{33, 17}, {33, 1}},
            {{33, 17}, {1, 1}},
            {{3, 5000}, {1, 5000}},
            {{7, 5, 9}, {7, 1, 9}},
            {{7, 5, 9}, {1, 5, 1}},
            {{1, 5, 9}, {1, 1, 9}},
            {{3, 4, 5, 6}, {3, 1, 5, 1}},
            {{3, 4, 5, 6}, {1, 4, 1, 6}},
            {{3, 4, 5, 6}, {1, 1, 1, 1}},
            {{3, 4, 5, 6}, {3, 4, 1, 6}},
        };
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void sumToMatchesFloat64SumsAndAccumulates(CpuKernels k) {
        Random rnd = new Random(7);
        for (int[][] c : reductions()) {
            int[] srcShape = c[0];
            int[] dstShape = c[1];
            int[][] idx = tuples(srcShape);
            float[] src = uniform(rnd, idx.length + 2, -1, 1);
            int[] dstStrides = StridedLayout.rowMajorStrides(dstShape);
            int dstLen = tuples(dstShape).length;
            double[] sums = new double[dstLen + 1];
            for (int t = 0; t < idx.length; t++) {
                int[] di = idx[t].clone();
                for (int d = 0; d < di.length; d++) {
                    if (dstShape[d] == 1) {
                        di[d] = 0;
                    }
                }
                sums[1 + offset(di, dstStrides)] += src[2 + t];
            }
            float[] dst = uniform(rnd, dstLen + 1, -1, 1);
            float[] old = dst.clone();
            String what = Arrays.toString(srcShape) + " -> " + Arrays.toString(dstShape);
            k.sumTo(srcShape, buf(src), 2, dstShape, buf(dst), 1, true);
            double[] expected = CpuKernelsTestSupport.plus(old, sums);
            expected[0] = old[0];
            assertClose(expected, dst, 1e-5, 1e-4, what + " accumulate");
            k.sumTo(srcShape, buf(src), 2, dstShape, buf(dst), 1, false);
            sums[0] = old[0];
            assertClose(sums, dst, 1e-5, 1e-4, what + " overwrite");

            float[] serial = new float[dstLen];
            CpuKernelsTestSupport.SERIAL.sumTo(srcShape, buf(src), 2, dstShape, buf(serial), 0, false);
            assertArrayEquals(serial, Arrays.copyOfRange(dst, 1, dstLen + 1), what + ": thread count changed the bits");
        }
    }

    @Test
    void sumToRejectsShapesThatAreNotABroadcastOfEachOther() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuKernelsTestSupport.DEFAULT.sumTo(new int[] {4, 6}, new CpuBuffer(24), 0,
                        new int[] {2, 6}, new CpuBuffer(12), 0, false));
        assertTrue(e.getMessage().contains("axis 0"), e.getMessage());
    }
}
