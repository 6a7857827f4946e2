package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.assertClose;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.buf;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.numericGradient;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.plus;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.toDouble;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CpuKernelsSoftmaxTest {

    private static final int[] COLS = {1, 7, 17, 33, 100, 257};

    static Stream<CpuKernels> backends() {
        return CpuKernelsTestSupport.backends();
    }

    /** Softmax of scale*x over the first `visible` columns of each row, zeros after; float64. */
    static double[] softmaxRef(double[] x, int rows, int cols, double scale, boolean causal, int rowsPerBlock) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            int visible = causal ? Math.min(cols, r % rowsPerBlock + cols - rowsPerBlock + 1) : cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < visible; c++) {
                max = Math.max(max, scale * x[r * cols + c]);
            }
            double sum = 0;
            for (int c = 0; c < visible; c++) {
                sum += Math.exp(scale * x[r * cols + c] - max);
            }
            for (int c = 0; c < visible; c++) {
                y[r * cols + c] = Math.exp(scale * x[r * cols + c] - max) / sum;
            }
        }
        return y;
    }

    static double[] logSoftmaxRef(double[] x, int rows, int cols) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double lse = lse(x, r * cols, cols);
            for (int c = 0; c < cols; c++) {
                y[r * cols + c] = x[r * cols + c] - lse;
            }
        }
        return y;
    }

    static double lse(double[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(x[off + i] - max);
        }
        return max + Math.log(sum);
    }

    static double dot(double[] a, float[] w) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * w[i];
        }
        return s;
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void softmaxMatchesReferenceWithScaleAndLargeInputs(CpuKernels k) {
        Random rnd = new Random(10);
        for (int cols : COLS) {
            int rows = 5;
            float[] x = uniform(rnd, rows * cols, -3, 3);
            x[0] = 300f; // exp(300 * 0.7) overflows float without the max subtraction
            float[] y = new float[rows * cols];
            k.softmax(buf(x), 0, buf(y), 0, rows, cols, 0.7f, false, 0);
            assertClose(softmaxRef(toDouble(x), rows, cols, 0.7, false, 0), y, 1e-5, 1e-7, "softmax cols=" + cols);
        }
    }

    /**
     * Three column blocks through the online softmax: the second block raises some rows' maximum (rescale
     * below 1), the third raises none (rescale exactly 1). Each block must come out as exp(x - m) for the
     * running m, and the state must end as the whole row's max and Σ exp(x - max).
     */
    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void onlineSoftmaxBlocksMatchTheWholeRowSoftmax(CpuKernels k) {
        Random rnd = new Random(13);
        for (int cols : COLS) {
            int rows = 4;
            int stateOff = 2;
            float[][] blocks = new float[3][];
            for (int b = 0; b < 3; b++) {
                blocks[b] = b < 2 ? uniform(rnd, 1 + rows * cols, -3, 3) : uniform(rnd, 1 + rows * cols, -6, -4);
            }
            for (int r = 0; r < rows; r += 2) {
                blocks[1][1 + r * cols] = 5f + r; // rows 0 and 2: the maximum moves in block 1
            }
            float[] max = new float[stateOff + rows];
            float[] sum = new float[stateOff + rows];
            float[] rescale = new float[stateOff + rows];
            double[][] inputs = new double[3][];
            double[] runningMax = new double[rows];
            Arrays.fill(runningMax, Double.NEGATIVE_INFINITY);
            for (int b = 0; b < 3; b++) {
                double[] before = runningMax.clone();
                inputs[b] = toDouble(blocks[b]); // kept: the kernel overwrites the block in place
                double[] x = inputs[b];
                k.onlineSoftmaxBlock(buf(blocks[b]), 1, rows, cols, buf(max), buf(sum), buf(rescale), stateOff, b == 0);
                double[] expected = new double[rows * cols];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        runningMax[r] = Math.max(runningMax[r], x[1 + r * cols + c]);
                    }
                    for (int c = 0; c < cols; c++) {
                        expected[r * cols + c] = Math.exp(x[1 + r * cols + c] - runningMax[r]);
                    }
                    assertEquals(runningMax[r], max[stateOff + r], 0, "max after block " + b);
                    if (b > 0) {
                        assertEquals(Math.exp(before[r] - runningMax[r]), rescale[stateOff + r], 1e-6,
                                "rescale of block " + b + " row " + r);
                    }
                }
                assertClose(expected, Arrays.copyOfRange(blocks[b], 1, 1 + rows * cols), 1e-5, 1e-7,
                        "block " + b + " cols=" + cols);
            }
            for (int r = 0; r < rows; r++) {
                assertEquals(1f, rescale[stateOff + r], 0, "block 2 (all below the maximum) rescales nothing");
                double expectedSum = 0;
                for (double[] x : inputs) {
                    for (int c = 0; c < cols; c++) {
                        expectedSum += Math.exp(x[1 + r * cols + c] - runningMax[r]);
                    }
                }
                assertEquals(expectedSum, sum[stateOff + r], 1e-5 * expectedSum, "sum row " + r + " cols=" + cols);
            }
            assertTrue(max[stateOff] >= 5f && max[stateOff + 2] >= 7f);
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void causalSoftmaxMasksPerBlockWithCachedPrefix(CpuKernels k) {
        Random rnd = new Random(11);
        int rowsPerBlock = 6;
        for (int prefix : new int[] {0, 3, 27}) {
            int cols = rowsPerBlock + prefix;
            int rows = 3 * rowsPerBlock; // three blocks, e.g. heads
            float[] x = uniform(rnd, rows * cols, -3, 3);
            float[] y = uniform(rnd, rows * cols, 5, 6); // garbage that masked entries must overwrite with 0
            k.softmax(buf(x), 0, buf(y), 0, rows, cols, 1.25f, true, rowsPerBlock);
            double[] expected = softmaxRef(toDouble(x), rows, cols, 1.25, true, rowsPerBlock);
            assertClose(expected, y, 1e-5, 1e-7, "causal prefix=" + prefix);
            // row 1 of block 2 sees the prefix plus two query positions
            int row = 2 * rowsPerBlock + 1;
            assertTrue(y[row * cols + prefix + 1] > 0f);
            assertEquals(0f, y[row * cols + prefix + 2]);
        }
        assertThrows(IllegalArgumentException.class,
                () -> k.softmax(new CpuBuffer(12), 0, new CpuBuffer(12), 0, 3, 4, 1f, true, 5));
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void softmaxBackwardMatchesFiniteDifferences(CpuKernels k) {
        Random rnd = new Random(12);
        float scale = 0.8f;
        for (int cols : COLS) {
            int rows = 3;
            float[] x = uniform(rnd, rows * cols, -2, 2);
            float[] w = uniform(rnd, rows * cols, -1, 1);
            float[] y = new float[rows * cols];
            k.softmax(buf(x), 0, buf(y), 0, rows, cols, scale, false, 0);
            float[] dx = uniform(rnd, rows * cols, -1, 1);
            double[] grad = numericGradient(v -> dot(softmaxRef(v, rows, cols, scale, false, 0), w), toDouble(x), 1e-6);
            double[] expected = plus(dx, grad);
            k.softmaxBackward(buf(y), 0, buf(w), 0, buf(dx), 0, rows, cols, scale);
            assertClose(expected, dx, 1e-4, 1e-5, "softmaxBackward cols=" + cols);
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void logSoftmaxForwardAndBackward(CpuKernels k) {
        Random rnd = new Random(13);
        for (int cols : COLS) {
            int rows = 4;
            float[] x = uniform(rnd, rows * cols, -4, 4);
            float[] y = new float[rows * cols];
            k.logSoftmax(buf(x), 0, buf(y), 0, rows, cols);
            assertClose(logSoftmaxRef(toDouble(x), rows, cols), y, 1e-5, 1e-5, "logSoftmax cols=" + cols);
            float[] w = uniform(rnd, rows * cols, -1, 1);
            float[] dx = uniform(rnd, rows * cols, -1, 1);
            double[] grad = numericGradient(v -> dot(logSoftmaxRef(v, rows, cols), w), toDouble(x), 1e-6);
            double[] expected = plus(dx, grad);
            k.logSoftmaxBackward(buf(y), 0, buf(w), 0, buf(dx), 0, rows, cols);
            assertClose(expected, dx, 1e-4, 1e-5, "logSoftmaxBackward cols=" + cols);
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void crossEntropyForwardAndBackwardWithIgnoredRows(CpuKernels k) {
        Random rnd = new Random(14);
        int ignore = -100;
        for (int vocab : COLS) {
            int rows = 6;
            float[] logits = uniform(rnd, rows * vocab, -4, 4);
            int[] targets = new int[rows];
            for (int r = 0; r < rows; r++) {
                targets[r] = r == 2 ? ignore : rnd.nextInt(vocab);
            }
            float[] losses = uniform(rnd, rows, 1, 2);
            float[] lse = new float[rows];
            k.crossEntropy(buf(logits), 0, targets, ignore, rows, vocab, buf(losses), 0, buf(lse), 0);
            double[] expectedLoss = new double[rows];
            double[] expectedLse = new double[rows];
            double[] xd = toDouble(logits);
            for (int r = 0; r < rows; r++) {
                expectedLse[r] = lse(xd, r * vocab, vocab);
                expectedLoss[r] = targets[r] == ignore ? 0 : expectedLse[r] - xd[r * vocab + targets[r]];
            }
            assertClose(expectedLoss, losses, 1e-5, 1e-5, "crossEntropy loss vocab=" + vocab);
            assertClose(expectedLse, lse, 1e-6, 1e-6, "crossEntropy lse vocab=" + vocab);

            float dLoss = 1.7f;
            float scale = 1f / (rows - 1); // mean over counted rows
            double[] grad = numericGradient(v -> {
                double total = 0;
                for (int r = 0; r < rows; r++) {
                    if (targets[r] != ignore) {
                        total += lse(v, r * vocab, vocab) - v[r * vocab + targets[r]];
                    }
                }
                return dLoss * scale * total;
            }, xd, 1e-6);
            float[] dlogits = uniform(rnd, rows * vocab, -1, 1);
            double[] expected = plus(dlogits, grad);
            k.crossEntropyBackward(buf(logits), 0, buf(lse), 0, targets, ignore, rows, vocab,
                    buf(new float[] {dLoss}), 0, scale, buf(dlogits), 0);
            assertClose(expected, dlogits, 1e-4, 1e-5, "crossEntropyBackward vocab=" + vocab);
        }
    }

    @Test
    void crossEntropyNamesATargetOutsideTheVocabulary() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuKernelsTestSupport.DEFAULT.crossEntropy(new CpuBuffer(30), 0, new int[] {1, 4, 10}, -100,
                        3, 10, new CpuBuffer(3), 0, new CpuBuffer(3), 0));
        assertTrue(e.getMessage().contains("targets[2] = 10"), e.getMessage());
    }
}
