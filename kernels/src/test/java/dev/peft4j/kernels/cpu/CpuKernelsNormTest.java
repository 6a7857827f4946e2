package dev.peft4j.kernels.cpu;

import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.assertClose;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.buf;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.numericGradient;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.plus;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.toDouble;
import static dev.peft4j.kernels.cpu.CpuKernelsTestSupport.uniform;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CpuKernelsNormTest {

    private static final int[] COLS = {1, 7, 17, 33, 100, 257};
    private static final int ROWS = 5;
    private static final float EPS = 1e-5f;

    static Stream<CpuKernels> backends() {
        return CpuKernelsTestSupport.backends();
    }

    /** LayerNorm in float64; gamma/beta may be null. */
    static double[] layerNormRef(double[] x, double[] gamma, double[] beta, int rows, int cols) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int c = 0; c < cols; c++) {
                mean += x[r * cols + c];
            }
            mean /= cols;
            double var = 0;
            for (int c = 0; c < cols; c++) {
                double d = x[r * cols + c] - mean;
                var += d * d;
            }
            double rstd = 1 / Math.sqrt(var / cols + EPS);
            for (int c = 0; c < cols; c++) {
                double n = (x[r * cols + c] - mean) * rstd;
                y[r * cols + c] = n * (gamma == null ? 1 : gamma[c]) + (beta == null ? 0 : beta[c]);
            }
        }
        return y;
    }

    static double[] rmsNormRef(double[] x, double[] gamma, int rows, int cols) {
        double[] y = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double ms = 0;
            for (int c = 0; c < cols; c++) {
                ms += x[r * cols + c] * x[r * cols + c];
            }
            double rstd = 1 / Math.sqrt(ms / cols + EPS);
            for (int c = 0; c < cols; c++) {
                y[r * cols + c] = x[r * cols + c] * rstd * (gamma == null ? 1 : gamma[c]);
            }
        }
        return y;
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
    void layerNormForwardSavesStatisticsAndBackwardMatchesFiniteDifferences(CpuKernels k) {
        Random rnd = new Random(15);
        for (int cols : COLS) {
            int n = ROWS * cols;
            float[] x = uniform(rnd, n, -2, 3);
            float[] gamma = uniform(rnd, cols, 0.5, 1.5);
            float[] beta = uniform(rnd, cols, -0.5, 0.5);
            float[] y = new float[n];
            float[] mean = new float[ROWS];
            float[] rstd = new float[ROWS];
            k.layerNorm(buf(x), 0, buf(gamma), 0, buf(beta), 0, buf(y), 0, buf(mean), 0, buf(rstd), 0, ROWS, cols, EPS);
            double[] xd = toDouble(x);
            double[] gd = toDouble(gamma);
            double[] bd = toDouble(beta);
            assertClose(layerNormRef(xd, gd, bd, ROWS, cols), y, 1e-4, 1e-5, "layerNorm y cols=" + cols);

            float[] plain = new float[n];
            k.layerNorm(buf(x), 0, null, 0, null, 0, buf(plain), 0, null, 0, null, 0, ROWS, cols, EPS);
            assertClose(layerNormRef(xd, null, null, ROWS, cols), plain, 1e-4, 1e-5, "layerNorm no affine cols=" + cols);

            float[] w = uniform(rnd, n, -1, 1);
            float[] dx = uniform(rnd, n, -1, 1);
            float[] dgamma = uniform(rnd, cols, -1, 1);
            float[] dbeta = uniform(rnd, cols, -1, 1);
            double[] expDx = plus(dx, numericGradient(v -> dot(layerNormRef(v, gd, bd, ROWS, cols), w), xd, 1e-6));
            double[] expDg = plus(dgamma, numericGradient(v -> dot(layerNormRef(xd, v, bd, ROWS, cols), w), gd, 1e-6));
            double[] expDb = plus(dbeta, numericGradient(v -> dot(layerNormRef(xd, gd, v, ROWS, cols), w), bd, 1e-6));
            float[] dxOnly = dx.clone();
            k.layerNormBackward(buf(x), 0, buf(gamma), 0, buf(mean), 0, buf(rstd), 0, buf(w), 0,
                    buf(dx), 0, buf(dgamma), 0, buf(dbeta), 0, ROWS, cols);
            assertClose(expDx, dx, 1e-3, 1e-4, "layerNormBackward dx cols=" + cols);
            assertClose(expDg, dgamma, 1e-3, 1e-4, "layerNormBackward dgamma cols=" + cols);
            assertClose(expDb, dbeta, 1e-3, 1e-4, "layerNormBackward dbeta cols=" + cols);

            k.layerNormBackward(buf(x), 0, buf(gamma), 0, buf(mean), 0, buf(rstd), 0, buf(w), 0,
                    buf(dxOnly), 0, null, 0, null, 0, ROWS, cols);
            assertArrayEquals(dx, dxOnly, "null dgamma/dbeta must not change dx");
        }
    }

    @ParameterizedTest(autoCloseArguments = false) // the shared backends outlive one test
    @MethodSource("backends")
    void rmsNormForwardAndBackwardMatchFiniteDifferences(CpuKernels k) {
        Random rnd = new Random(16);
        for (int cols : COLS) {
            int n = ROWS * cols;
            float[] x = uniform(rnd, n, -2, 2);
            float[] gamma = uniform(rnd, cols, 0.5, 1.5);
            float[] y = new float[n];
            float[] rstd = new float[ROWS];
            k.rmsNorm(buf(x), 0, buf(gamma), 0, buf(y), 0, buf(rstd), 0, ROWS, cols, EPS);
            double[] xd = toDouble(x);
            double[] gd = toDouble(gamma);
            assertClose(rmsNormRef(xd, gd, ROWS, cols), y, 1e-5, 1e-6, "rmsNorm y cols=" + cols);

            float[] w = uniform(rnd, n, -1, 1);
            float[] dx = uniform(rnd, n, -1, 1);
            float[] dgamma = uniform(rnd, cols, -1, 1);
            double[] expDx = plus(dx, numericGradient(v -> dot(rmsNormRef(v, gd, ROWS, cols), w), xd, 1e-6));
            double[] expDg = plus(dgamma, numericGradient(v -> dot(rmsNormRef(xd, v, ROWS, cols), w), gd, 1e-6));
            float[] dgOnly = dgamma.clone();
            k.rmsNormBackward(buf(x), 0, buf(gamma), 0, buf(rstd), 0, buf(w), 0, buf(dx), 0, buf(dgamma), 0, ROWS, cols);
            assertClose(expDx, dx, 1e-3, 1e-4, "rmsNormBackward dx cols=" + cols);
            assertClose(expDg, dgamma, 1e-3, 1e-4, "rmsNormBackward dgamma cols=" + cols);

            k.rmsNormBackward(buf(x), 0, buf(gamma), 0, buf(rstd), 0, buf(w), 0, null, 0, buf(dgOnly), 0, ROWS, cols);
            assertArrayEquals(dgamma, dgOnly, "null dx must not change dgamma");

            float[] plainDx = new float[n];
            float[] plainY = new float[n];
            k.rmsNorm(buf(x), 0, null, 0, buf(plainY), 0, buf(rstd), 0, ROWS, cols, EPS);
            k.rmsNormBackward(buf(x), 0, null, 0, buf(rstd), 0, buf(w), 0, buf(plainDx), 0, null, 0, ROWS, cols);
            assertClose(numericGradient(v -> dot(rmsNormRef(v, null, ROWS, cols), w), xd, 1e-6), plainDx, 1e-3, 1e-4,
                    "rmsNormBackward without gamma cols=" + cols);
        }
    }
}
