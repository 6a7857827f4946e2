package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.ODD_SIZES;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.assertClose;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.buf;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CpuKernelsReductionTest {

    static Stream<CpuKernels> backends() {
        return CpuKernelsTestSupport.backends();
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void sumRowsAndMaxRowsMatchReference(CpuKernels k) {
        Random rnd = new Random(8);
        for (int cols : ODD_SIZES) {
            int rows = 9;
            float[] x = uniform(rnd, rows * cols + 1, -3, 3);
            double[] sums = new double[rows];
            double[] maxima = new double[rows];
            for (int r = 0; r < rows; r++) {
                maxima[r] = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < cols; c++) {
                    sums[r] += x[1 + r * cols + c];
                    maxima[r] = Math.max(maxima[r], x[1 + r * cols + c]);
                }
            }
            float[] out = new float[rows];
            k.maxRows(buf(x), 1, rows, cols, buf(out), 0);
            assertClose(maxima, out, 0, 0, "maxRows cols=" + cols);
            k.sumRows(buf(x), 1, rows, cols, buf(out), 0, false);
            assertClose(sums, out, 1e-5, 1e-5, "sumRows cols=" + cols);
            float[] acc = out.clone();
            k.sumRows(buf(x), 1, rows, cols, buf(acc), 0, true);
            double[] twice = new double[rows];
            for (int r = 0; r < rows; r++) {
                twice[r] = 2 * sums[r];
            }
            assertClose(twice, acc, 1e-5, 1e-5, "sumRows accumulate cols=" + cols);
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void sumAndSumOfSquaresAccumulateInDouble(CpuKernels k) {
        Random rnd = new Random(9);
        for (int n : new int[] {1, 7, 17, 33, 100, 257, 40_001}) {
            float[] x = uniform(rnd, n + 2, -3, 3);
            x[2] = 1e8f; // float accumulation would swallow the small terms after this one
            double sum = 0;
            double squares = 0;
            for (int i = 2; i < n + 2; i++) {
                sum += x[i];
                squares += (double) x[i] * x[i];
            }
            assertEquals(squares, k.sumOfSquares(buf(x), 2, n), 1e-12 * squares, "sumOfSquares n=" + n);
            float[] out = {0.5f, 0.25f};
            k.sum(buf(x), 2, n, buf(out), 1, false);
            assertEquals(sum, out[1], Math.ulp((float) sum), "sum n=" + n);
            k.sum(buf(x), 2, n, buf(out), 0, true);
            assertEquals(0.5 + sum, out[0], Math.ulp((float) sum), "sum accumulate n=" + n);
        }
    }
}
